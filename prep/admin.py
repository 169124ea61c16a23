from django.contrib import admin

from .models import Appointment, PracticeSettings, PreSessionSummary, Reminder


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """The outbox, for operations: what is due, sent, retrying or failed."""

    list_display = ["kind", "recipient", "due_at", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "kind"]
    date_hierarchy = "due_at"
    search_fields = ["recipient__email", "key"]
    raw_id_fields = ["recipient", "appointment"]
    readonly_fields = ["key", "claimed_at", "sent_at", "created_at"]
    actions = ["retry_now"]

    @admin.action(description="Send again at the next dispatch")
    def retry_now(self, request, queryset):
        queryset.exclude(status=Reminder.Status.SENT).update(
            status=Reminder.Status.PENDING, next_attempt_at=None, claimed_at=None
        )


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["starts_at", "therapist", "patient", "kind", "outcome", "sequence"]
    list_filter = ["outcome", "kind"]
    raw_id_fields = ["therapist", "patient"]
    date_hierarchy = "starts_at"


@admin.register(PreSessionSummary)
class PreSessionSummaryAdmin(admin.ModelAdmin):
    """Metadata only: the snapshot itself is the patient's and stays out of the admin."""

    list_display = ["appointment", "version", "status", "shared_at"]
    fields = ["appointment", "version", "status", "period_start", "period_end", "shared_at"]
    readonly_fields = fields


admin.site.register(PracticeSettings)
