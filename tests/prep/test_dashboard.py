"""The therapist's day at a glance: today's sessions first (in the therapist's own
time, with the shared summary, the video link and whether the patient confirmed),
then open safety alerts with a way to reach the patient, then the rest of the week,
then each patient's week for the patients who chose to share it. The page costs the
same queries and stays about the same size at 5 and at 100 patients."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse

from accounts.models import AccessRecord
from appointments.models import Appointment
from journal.models import DailyEntry, MeasureResponse, SafetyAlert
from prep import caseload
from prep.models import PreSessionSummary
from tests.factories import (
    AppointmentFactory,
    CareLinkFactory,
    DailyEntryFactory,
    MeasureResponseFactory,
    UserFactory,
)

DASHBOARD = reverse("prep:therapist_dashboard")
# Tuesday 10 March 2026, 09:00 UTC: 05:00 in New York, 09:00 in London.
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def at(days: float, hour: int = 0) -> datetime:
    return NOW + timedelta(days=days, hours=hour)


def shared_summary(appointment) -> PreSessionSummary:
    day = appointment.starts_at.date()
    return PreSessionSummary.objects.create(
        appointment=appointment,
        status=PreSessionSummary.Status.SHARED,
        version=1,
        period_start=day - timedelta(days=13),
        period_end=day,
        snapshot={},
        shared_at=appointment.starts_at - timedelta(days=1),
    )


def sections(page: str) -> list[str]:
    return re.findall(r'<h2 class="h5[^"]*" id="([a-z]+)-heading"', page)


def dashboard(client, therapist) -> str:
    client.force_login(therapist)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    return response.content.decode()


# Today ------------------------------------------------------------------------------


def test_today_comes_first_then_alerts_then_the_week(client, frozen, therapist, patient):
    AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(0, 5))
    AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(3))
    SafetyAlert.objects.create(patient=patient, source=SafetyAlert.Source.DAILY_LOG)
    order = sections(dashboard(client, therapist))
    assert order[:2] == ["today", "safety"]
    assert order.index("week") > order.index("safety")
    assert order[-1] == "patients"


def test_today_is_the_therapists_own_day_and_time(client, frozen, therapist, patient):
    therapist.timezone = "America/New_York"
    therapist.save()
    for utc in (
        datetime(2026, 3, 10, 3, 0, tzinfo=UTC),  # 23:00 on Monday 9 March in New York
        datetime(2026, 3, 10, 16, 0, tzinfo=UTC),  # 12:00 on Tuesday
        datetime(2026, 3, 11, 3, 30, tzinfo=UTC),  # 23:30 on Tuesday
        datetime(2026, 3, 11, 5, 0, tzinfo=UTC),  # 01:00 on Wednesday
    ):
        AppointmentFactory(therapist=therapist, patient=patient, starts_at=utc)
    page = dashboard(client, therapist)
    today = page.split('id="today-heading"')[1].split("</section>")[0]
    assert "Today, Tuesday 10 March" in today
    assert "America/New_York" in today
    assert re.findall(r"<strong>([\d:]+)</strong>", today) == ["12:00", "23:30"]
    assert "Wed 11 Mar, 01:00" in page.split('id="week-heading"')[1]


def test_a_shared_summary_is_a_full_link_and_a_missing_one_says_so(
    client, frozen, therapist, patient
):
    shared = AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(0, 2))
    shared_summary(shared)
    AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(0, 4))
    page = dashboard(client, therapist)
    read = reverse("prep:summary_read", args=[shared.pk])
    assert f'<a class="btn btn-sm btn-primary" href="{read}">Read shared summary' in page
    assert "No summary yet" in page


def test_a_video_sessions_link_is_a_link(client, frozen, therapist, patient):
    AppointmentFactory(
        therapist=therapist,
        patient=patient,
        starts_at=at(0, 2),
        kind=Appointment.Kind.VIDEO,
        location="https://video.example/room-42",
    )
    page = dashboard(client, therapist)
    assert '<a class="btn btn-sm btn-outline-primary" href="https://video.example/room-42">' in page
    assert "Join video" in page


def test_each_row_says_whether_the_patient_confirmed(client, frozen, therapist, patient):
    AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(0, 2), confirmed_at=NOW)
    AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(2))
    page = dashboard(client, therapist)
    today = page.split('id="today-heading"')[1].split("</section>")[0]
    week = page.split('id="week-heading"')[1].split("</section>")[0]
    assert "Confirmed they’ll be there" in today
    assert "Not confirmed yet" in week


def test_a_patients_name_is_escaped_wherever_the_dashboard_prints_it(
    client, frozen, therapist, patient
):
    patient.first_name = '<script>alert("x")</script>'
    patient.last_name = "O'Neil & Co"
    patient.shares_overview = True
    patient.save()
    today = AppointmentFactory(
        therapist=therapist,
        patient=patient,
        starts_at=at(0, 2),
        kind=Appointment.Kind.VIDEO,
        location="https://video.example/room?a=1&b=2",
    )
    shared_summary(today)
    AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(2))
    page = dashboard(client, therapist)
    name = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#x27;Neil &amp; Co"
    assert "<script>alert" not in page and "O'Neil" not in page
    today_rows, week_rows, patient_rows = (
        page.split(f'id="{heading}-heading"')[1].split("</section>")[0]
        for heading in ("today", "week", "patients")
    )
    assert f"{name}</a>" in today_rows and f"{name}</a>" in week_rows
    assert f'Join video<span class="visually-hidden"> with {name}</span>' in today_rows
    assert f"from {name}, 10 Mar</span>" in today_rows
    assert 'href="https://video.example/room?a=1&amp;b=2"' in today_rows
    detail = reverse("prep:patient_detail", args=[patient.pk])
    assert f'<a class="glance-name" href="{detail}">{name}</a>' in patient_rows


def test_the_week_stops_after_seven_days_and_links_to_every_session(
    client, frozen, therapist, patient
):
    AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(7))
    AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(9))
    AppointmentFactory(
        therapist=therapist,
        patient=patient,
        starts_at=at(2),
        outcome=Appointment.Outcome.CANCELLED_BY_PATIENT,
    )
    page = dashboard(client, therapist)
    week = page.split('id="week-heading"')[1].split("</section>")[0]
    assert "Tue 17 Mar" in week
    assert "Thu 19 Mar" not in week
    assert "Thu 12 Mar" not in week  # cancelled
    assert reverse("prep:appointment_list") in week


def test_a_day_fuller_than_the_query_reads_at_once_is_listed_whole(
    client, frozen, therapist, patient
):
    """The week's query reads caseload.DAY_ROWS of today's sessions with the week's
    rows; a fuller day is read again, not cut short."""
    today = [at(0, 1) + timedelta(minutes=20 * n) for n in range(caseload.DAY_ROWS + 2)]
    for starts_at in today:
        AppointmentFactory(therapist=therapist, patient=patient, starts_at=starts_at)
    for n in range(caseload.WEEK_ROWS + 2):
        AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(1 + n / 5, 1))
    page = dashboard(client, therapist)
    rows = page.split('id="today-heading"')[1].split("</section>")[0]
    assert rows.count('class="list-group-item session-row"') == len(today)
    week = page.split('id="week-heading"')[1].split("</section>")[0]
    assert week.count('class="list-group-item session-row"') == caseload.WEEK_ROWS
    assert "2 more sessions this week." in week


# Safety alerts ---------------------------------------------------------------------


def test_an_alert_shows_the_patients_phone_as_a_call_link(client, therapist, patient):
    patient.phone = "+44 7700 900123"
    patient.save()
    alert = SafetyAlert.objects.create(patient=patient, source=SafetyAlert.Source.PHQ9)
    page = dashboard(client, therapist)
    assert '<a class="btn btn-primary" href="tel:+447700900123">Call +44 7700 900123</a>' in page
    assert f"mailto:{patient.email}" in page
    assert reverse("journal:safety_alert", args=[alert.pk]) in page
    assert "I’ve seen this" in page


def test_an_alert_says_plainly_when_no_phone_was_given(client, therapist, patient):
    SafetyAlert.objects.create(patient=patient, source=SafetyAlert.Source.DAILY_LOG)
    page = dashboard(client, therapist)
    assert "No phone number given." in page
    assert "tel:" not in page


# Each patient's week -----------------------------------------------------------------


def log(patient, days_ago: int, mood):
    return DailyEntryFactory(
        patient=patient, day=patient.today() - timedelta(days=days_ago), mood=mood
    )


def take(patient, kind, total, days_ago):
    return MeasureResponseFactory(
        patient=patient,
        kind=kind,
        total=total,
        answers=[0] * (9 if kind == "phq9" else 7),
        taken_at=NOW - timedelta(days=days_ago),
    )


def glance_of(page: str, patient) -> str:
    row = page.split(f'href="{reverse("prep:patient_detail", args=[patient.pk])}">')
    return row[-1].split("</li>")[0]


def test_nothing_of_the_journal_shows_until_the_patient_chooses_to_share_it(
    client, frozen, therapist, patient
):
    """GIVEN a patient who has logged and taken questionnaires but never answered
    whether to share their week WHEN their therapist opens the dashboard THEN it says
    "Not shared", shows no figure, and records no read."""
    for days_ago in range(5):
        log(patient, days_ago, mood=3)
    take(patient, "phq9", 14, 3)
    row = glance_of(dashboard(client, therapist), patient)
    assert "Not shared" in row
    assert "Logged" not in row and "PHQ-9" not in row
    assert not AccessRecord.objects.filter(kind=AccessRecord.Kind.OVERVIEW).exists()


def test_a_sharing_patients_week_in_words(client, frozen, therapist, patient):
    patient.shares_overview = True
    patient.save()
    for days_ago, mood in [(0, 7), (2, 8), (5, 7), (8, 4), (10, 5), (12, None)]:
        log(patient, days_ago, mood)
    take(patient, "phq9", 18, 20)
    take(patient, "phq9", 11, 2)
    take(patient, "gad7", 9, 20)
    take(patient, "gad7", 11, 2)
    row = glance_of(dashboard(client, therapist), patient)
    assert "Logged 3 of 7 days" in row
    assert '<span aria-hidden="true">↑ </span>Mood going up' in row
    assert "PHQ-9 11" in row
    assert "reliable change, better" in row  # 18 → 11: 7 points, past the 6 needed
    assert "GAD-7 11" in row
    assert "reliable change, worse" not in row  # 9 → 11: under the 4 needed
    [read] = AccessRecord.objects.filter(kind=AccessRecord.Kind.OVERVIEW)
    assert (read.viewer, read.patient) == (therapist, patient)


@pytest.mark.parametrize(
    ("recent", "before", "words"),
    [
        ([5, 5], [7, 7], "↓ </span>Mood going down"),
        ([6, 6], [6, 5], "→ </span>Mood steady"),
        ([6], [5, 5], "Too few mood answers for a trend"),
    ],
)
def test_the_mood_trend(client, frozen, therapist, patient, recent, before, words):
    patient.shares_overview = True
    patient.save()
    for offset, mood in enumerate(recent):
        log(patient, offset, mood)
    for offset, mood in enumerate(before):
        log(patient, 7 + offset, mood)
    assert words in glance_of(dashboard(client, therapist), patient)


def test_a_patient_far_ahead_in_time_counts_their_own_today(client, therapist):
    """At 09:00 UTC it is already 22:00 in Auckland: that patient's today is their own."""
    with time_machine.travel(NOW, tick=False):
        patient = UserFactory(timezone="Pacific/Auckland", shares_overview=True)
        CareLinkFactory(therapist=therapist, patient=patient)
        log(patient, 0, 6)
        log(patient, 6, 6)
        log(patient, 7, 6)  # eight days back on their calendar
        assert patient.today() == date(2026, 3, 10)
        assert "Logged 2 of 7 days" in glance_of(dashboard(client, therapist), patient)


def test_a_former_patient_and_another_therapists_patient_are_not_listed(
    client, therapist, patient, other_patient
):
    patient.therapist_links.update(ended_at=NOW)
    page = dashboard(client, therapist)
    assert patient.display_name not in page
    assert other_patient.display_name not in page


# Cost -------------------------------------------------------------------------------


def caseload_of(therapist, count: int, start: int = 0) -> None:
    """`count` patients, half sharing their week, each with two sessions in the coming
    fortnight (one with a shared summary), two weeks of entries and two of each
    questionnaire, and one open safety alert in ten."""
    for n in range(start, start + count):
        patient = UserFactory(first_name=f"Patient{n:03d}", shares_overview=n % 2 == 0)
        CareLinkFactory(therapist=therapist, patient=patient)
        first = AppointmentFactory(
            therapist=therapist, patient=patient, starts_at=at(n % 7, 1 + n % 9)
        )
        AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(7 + n % 7, 2))
        shared_summary(first)
        today = patient.today()
        DailyEntry.objects.bulk_create(
            DailyEntry(patient=patient, day=today - timedelta(days=d), mood=d % 10,
                       sleep_hours=Decimal("7.0"))
            for d in range(14)
        )  # fmt: skip
        MeasureResponse.objects.bulk_create(
            MeasureResponse(patient=patient, kind=kind, answers=[1] * size, total=total,
                            band="mild", taken_at=NOW - timedelta(days=days))
            for kind, size in (("phq9", 9), ("gad7", 7))
            for total, days in ((12, 20), (5, 6))
        )  # fmt: skip
        if n % 10 == 0:
            SafetyAlert.objects.create(patient=patient, source=SafetyAlert.Source.DAILY_LOG)


def test_the_dashboard_costs_the_same_queries_at_5_and_100_patients(
    client, frozen, therapist, django_assert_max_num_queries
):
    client.force_login(therapist)
    caseload_of(therapist, 5)
    with django_assert_max_num_queries(11) as few:
        small = client.get(DASHBOARD).content.decode()
    caseload_of(therapist, 95, start=5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        large = client.get(DASHBOARD).content.decode()
    assert large.count('class="list-group-item glance"') == 25
    # A full week's sessions and a page of patients stay a small page.
    assert len(large.encode()) < 64_000, len(large.encode())
    assert len(small.encode()) < 24_000


def test_a_later_page_of_patients(client, frozen, therapist):
    caseload_of(therapist, 30)
    client.force_login(therapist)
    page = client.get(DASHBOARD, {"page": 2}).content.decode()
    assert page.count('class="list-group-item glance"') == 5
    assert "Page 2 of 2" in page
    assert "Patient029" in page and "Patient000</a>" not in page


def test_the_sessions_beyond_the_first_rows_are_counted_not_listed(client, frozen, therapist):
    caseload_of(therapist, 40)
    page = dashboard(client, therapist)
    week = page.split('id="week-heading"')[1].split("</section>")[0]
    ahead = Appointment.objects.filter(starts_at__gte=at(1, -9), starts_at__lt=at(8, -9))
    more = ahead.count() - caseload.WEEK_ROWS
    assert more > 0
    assert f"{more} more sessions this week." in week


def every_table_but_the_access_log() -> dict:
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
        if model is not AccessRecord
    }


def test_looking_writes_nothing_but_the_access_log(client, frozen, therapist):
    caseload_of(therapist, 6)
    client.force_login(therapist)
    before = every_table_but_the_access_log()
    assert client.get(DASHBOARD).status_code == 200
    assert client.get(DASHBOARD, {"page": "x"}).status_code == 200
    assert every_table_but_the_access_log() == before
