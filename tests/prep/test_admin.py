from django.urls import reverse

from prep import summaries
from tests.factories import AppointmentFactory, DailyEntryFactory, UserFactory


def test_the_admin_never_shows_a_summary_snapshot(client, therapist, patient):
    staff = UserFactory(therapist=True, is_staff=True, is_superuser=True)
    DailyEntryFactory(patient=patient, discuss_next_session=True, thoughts="very private words")
    appointment = AppointmentFactory(therapist=therapist, patient=patient)
    draft = summaries.generate_draft(appointment)
    client.force_login(staff)
    page = client.get(reverse("admin:prep_presessionsummary_change", args=[draft.pk]))
    assert page.status_code == 200
    assert "very private words" not in page.content.decode()
