"""A patient's own sessions under their rights: the download names who each was
with as they typed it; deleting the account removes own sessions and series whole,
because no therapist on the app keeps a record of them."""

from datetime import timedelta

from django.utils import timezone

from appointments import series
from appointments.models import Appointment, SessionSeries
from prep import links, privacy, summaries
from prep.models import PreSessionSummary, SummaryLink
from tests.factories import AppointmentFactory
from tests.prep.test_rights import download, read_json

TYPED = "Quillanvey"


def own_sessions_of(patient) -> SessionSeries:
    started = SessionSeries.objects.create(
        patient=patient,
        therapist_name=f"Dr {TYPED}",
        location=f"{TYPED} House",
        every_weeks=1,
        first_starts_at=timezone.now() + timedelta(days=1),
        timezone=patient.timezone,
    )
    series.materialise(started)
    first = started.sessions.get(occurrence=0)
    summaries.generate_draft(first)
    # A copy frozen to send by link: it goes with the account too.
    links.create(summaries.share(first), days=7)
    return started


def test_the_download_names_who_an_own_session_was_with(client, patient):
    own_sessions_of(patient)
    rows = read_json(download(client, patient), "appointments.json")
    assert {row["therapist"] for row in rows} == {f"Dr {TYPED}"}


def test_erasure_removes_own_sessions_and_their_series_and_keeps_the_therapists(patient, therapist):
    # The typed name and place are encrypted at rest, so rows are counted, not read.
    own_sessions_of(patient)
    linked = AppointmentFactory(therapist=therapist, patient=patient)
    assert privacy.erase(patient)
    assert list(Appointment.objects.filter(patient=patient)) == [linked]
    assert not Appointment.objects.filter(therapist=None).exists()
    assert not SessionSeries.objects.exists()
    assert not PreSessionSummary.objects.exists()
    assert not SummaryLink.objects.exists()
