from django.urls import path, register_converter

from . import views


class IsoDateConverter:
    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value):
        from datetime import date

        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise ValueError(str(error)) from error  # a 404, not a 500

    def to_url(self, value):
        return value.isoformat()


register_converter(IsoDateConverter, "isodate")

app_name = "journal"

urlpatterns = [
    path("journal/", views.today, name="today"),
    path("journal/<isodate:day>/", views.entry, name="entry"),
    path("journal/mood/", views.quick_mood, name="quick_mood"),
    path("journal/offline/", views.offline, name="offline"),
    path("journal/sync/", views.sync, name="sync"),
    path("journal/sync/<isodate:day>/", views.sync_done, name="sync_done"),
    path("journal/support/", views.support, name="support"),
    path("journal/symptoms/", views.symptoms, name="symptoms"),
    path("journal/symptoms/<id:symptom_id>/rename/", views.rename_symptom, name="rename_symptom"),
    path("journal/symptoms/<id:symptom_id>/retire/", views.retire_symptom, name="retire_symptom"),
    path(
        "journal/symptoms/<id:symptom_id>/restore/", views.restore_symptom, name="restore_symptom"
    ),
    path("journal/parked/", views.parked_topics, name="parked_topics"),
    path(
        "journal/parked/<id:topic_id>/visibility/",
        views.parked_topic_visibility,
        name="parked_topic_visibility",
    ),
    path(
        "journal/parked/<id:topic_id>/delete/",
        views.delete_parked_topic,
        name="delete_parked_topic",
    ),
    path("journal/calendar/", views.calendar_view, name="calendar"),
    path("journal/trends/", views.trends, name="trends"),
    path("journal/measures/", views.measure_list, name="measures"),
    path("journal/measures/<slug:kind>/new/", views.measure_new, name="measure_new"),
    path("journal/measures/<id:response_id>/", views.measure_detail, name="measure_detail"),
    path("patients/<id:patient_id>/questionnaires/", views.measure_plan, name="measure_plan"),
    path("safety-alerts/<id:alert_id>/", views.safety_alert, name="safety_alert"),
    path(
        "safety-alerts/<id:alert_id>/acknowledge/",
        views.acknowledge_alert,
        name="acknowledge_alert",
    ),
]
