from django.urls import reverse

from appointments import booking, emails
from appointments.models import Appointment
from notifications.models import Message
from tests.factories import AppointmentFactory, UserFactory


def test_the_admin_shows_the_outbox_and_can_retry(client, therapist, patient):
    staff = UserFactory(therapist=True, is_staff=True, is_superuser=True)
    appointment = AppointmentFactory(therapist=therapist, patient=patient)
    booking.save_booking(Appointment.objects.get(pk=appointment.pk))
    Message.objects.create(
        key="booked:x", kind=emails.BOOKED, recipient=patient, target_id=appointment.pk,
        due_at=appointment.starts_at, status="failed", attempts=6, last_error="550",
    )  # fmt: skip
    client.force_login(staff)
    page = client.get(reverse("admin:notifications_message_changelist"))
    assert page.status_code == 200
    assert "550" in page.content.decode()
    client.post(
        reverse("admin:notifications_message_changelist"),
        {"action": "retry_now", "_selected_action": [m.pk for m in Message.objects.all()]},
    )
    assert not Message.objects.filter(status="failed").exists()
    assert Message.objects.get(key="booked:x").status == Message.Status.PENDING
