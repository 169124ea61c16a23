from django.urls import reverse

from prep import appointments
from prep.models import Appointment, Reminder
from tests.factories import AppointmentFactory, UserFactory


def test_the_admin_shows_the_outbox_and_can_retry(client, therapist, patient):
    staff = UserFactory(therapist=True, is_staff=True, is_superuser=True)
    appointment = AppointmentFactory(therapist=therapist, patient=patient)
    appointments.save_booking(Appointment.objects.get(pk=appointment.pk))
    Reminder.objects.create(
        key="booked:x", kind="booked", recipient=patient, appointment=appointment,
        due_at=appointment.starts_at, status="failed", attempts=6, last_error="550",
    )  # fmt: skip
    client.force_login(staff)
    page = client.get(reverse("admin:prep_reminder_changelist"))
    assert page.status_code == 200
    assert "550" in page.content.decode()
    client.post(
        reverse("admin:prep_reminder_changelist"),
        {"action": "retry_now", "_selected_action": [r.pk for r in Reminder.objects.all()]},
    )
    assert not Reminder.objects.filter(status="failed").exists()


def test_the_admin_never_shows_a_summary_snapshot(client, therapist, patient):
    from prep import summaries
    from tests.factories import DailyEntryFactory

    staff = UserFactory(therapist=True, is_staff=True, is_superuser=True)
    DailyEntryFactory(patient=patient, discuss_next_session=True, thoughts="very private words")
    appointment = AppointmentFactory(therapist=therapist, patient=patient)
    draft = summaries.generate_draft(appointment)
    client.force_login(staff)
    page = client.get(reverse("admin:prep_presessionsummary_change", args=[draft.pk]))
    assert page.status_code == 200
    assert "very private words" not in page.content.decode()
