"""Linking up later: a patient who kept their own sessions here is invited by their
therapist, accepts, and chooses whether those sessions come into the new care."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import invitations
from accounts.models import CareLink
from appointments import emails
from appointments.models import Appointment, SessionSeries
from core.submissions import ALREADY_SENT, new_token
from journal.models import DailyEntry
from notifications.models import Message
from prep import summaries
from prep.models import AgendaItem, PreSessionSummary
from tests.conftest import assert_access
from tests.factories import AppointmentFactory, UserFactory

# Written in the journal and never shared: it must never reach a therapist.
PRIVATE_THOUGHT = "the words only my journal knows"
NOT_SHARED_AGENDA = "added to the draft after sharing"


def own_session(patient, name: str, *, days: int, **fields) -> Appointment:
    starts_at = (timezone.now() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    return AppointmentFactory(
        patient=patient, therapist=None, therapist_name=name, starts_at=starts_at, **fields
    )


def share_a_summary(session: Appointment) -> PreSessionSummary:
    summaries.generate_draft(session)
    return summaries.share(session)


@pytest.fixture
def solo(db):
    """Robin used the app alone before their therapist joined."""
    return UserFactory(first_name="Robin", last_name="Quinn", email="robin@example.com")


@pytest.fixture
def history(solo):
    """Robin's own sessions: three with Dana (one typed with other spacing and case,
    one past with a shared summary, one past with only a draft, one to come) and one
    with someone else, also with a shared summary."""
    DailyEntry.objects.create(
        patient=solo, day=solo.today() - timedelta(days=3), mood=4, thoughts=PRIVATE_THOUGHT
    )
    dana_shared = own_session(solo, "Dana Reyes", days=-2, outcome=Appointment.Outcome.ATTENDED)
    dana_draft = own_session(solo, "dana  reyes", days=-9, outcome=Appointment.Outcome.ATTENDED)
    dana_next = own_session(solo, "Dana Reyes", days=5)
    okafor = own_session(solo, "Dr Okafor", days=-4, outcome=Appointment.Outcome.ATTENDED)
    share_a_summary(dana_shared)
    # The draft changes after sharing; only what was shared may be read.
    AgendaItem.objects.create(patient=solo, text=NOT_SHARED_AGENDA)
    summaries.generate_draft(dana_shared)
    summaries.generate_draft(dana_draft)
    share_a_summary(okafor)
    return {"shared": dana_shared, "draft": dana_draft, "next": dana_next, "okafor": okafor}


def accept_url_for(therapist, email):
    invitation = invitations.invite(therapist, email)
    return invitations.accept_path(invitation)


@pytest.fixture
def linked(client, solo, history, therapist):
    """Dana joins, invites Robin's address; Robin signs in and accepts."""
    client.force_login(solo)
    response = client.post(accept_url_for(therapist, solo.email))
    assert response.status_code == 302
    assert response.url == reverse("prep:link_history", args=[therapist.pk])
    return CareLink.objects.get(therapist=therapist, patient=solo)


def choice_page(therapist):
    return reverse("prep:link_history", args=[therapist.pk])


def group_key(client, therapist, name: str) -> str:
    page = client.get(choice_page(therapist)).content.decode()
    marker = f"With “{name}”"
    before = page[: page.index(marker)]
    return before[before.rindex('value="') + 7 :].split('"')[0]


def answer(client, therapist, answer: str, groups=(), token: str | None = None):
    data = {"answer": answer, "groups": list(groups)}
    if token:
        data["submission_token"] = token
    return client.post(choice_page(therapist), data)


def therapist_urls(session):
    return [
        ("get", reverse("prep:summary_read", args=[session.pk])),
        ("get", reverse("appointments:appointment_edit", args=[session.pk])),
        ("post", reverse("appointments:appointment_cancel", args=[session.pk])),
        ("post", reverse("appointments:appointment_outcome", args=[session.pk])),
    ]


def patient_urls(session):
    return [
        ("get", reverse("prep:summary_review", args=[session.pk])),
        ("get", reverse("prep:summary_print", args=[session.pk])),
        ("get", reverse("feedback:give_feedback", args=[session.pk])),
    ]


def assert_nobody_else_reaches(client, sessions, people):
    for session in sessions:
        for who in ("therapist", "other_therapist", "manager", "other_patient"):
            for method, url in therapist_urls(session) + patient_urls(session):
                assert_access(client, people[who], method, url, 404)
        session.refresh_from_db()
        assert session.therapist_id is None
        assert not session.outcome or session.outcome == Appointment.Outcome.ATTENDED


class TestTheQuestion:
    def test_accepting_leads_to_the_question_with_nothing_ticked(self, client, linked, therapist):
        page = client.get(choice_page(therapist))
        assert page.status_code == 200
        html = page.content.decode()
        assert "Were any of your own sessions with Dana Reyes?" in html
        # Grouped by the typed name, whatever its case and spacing.
        assert html.count('name="groups"') == 2
        assert "With “Dana Reyes”" in html and "With “Dr Okafor”" in html
        assert "2 past, 1 to come" in html
        assert "You froze a summary to share for 1 of them" in html
        assert "Dana Reyes will be able to read it." in html
        assert " checked" not in html
        assert "Bring these into my care with Dana Reyes" in html
        assert "Keep them to myself" in html
        linked.refresh_from_db()
        assert linked.history_decided_at is None and linked.history_brought is None

    def test_the_home_page_asks_until_answered(self, client, linked, therapist):
        home = client.get(reverse("prep:patient_home")).content.decode()
        assert "Your own sessions and Dana Reyes" in home
        assert choice_page(therapist) in home

        answer(client, therapist, "keep")

        home = client.get(reverse("prep:patient_home")).content.decode()
        assert "Your own sessions and Dana Reyes" not in home

    def test_looking_changes_nothing(self, client, linked, therapist):
        before = list(Appointment.objects.values_list("pk", "therapist_id", "updated_at"))
        client.get(choice_page(therapist))
        linked.refresh_from_db()
        assert linked.history_decided_at is None
        assert list(Appointment.objects.values_list("pk", "therapist_id", "updated_at")) == before

    def test_a_patient_with_no_own_sessions_is_not_asked(self, client, therapist):
        newcomer = UserFactory(first_name="Kai")
        client.force_login(newcomer)
        response = client.post(accept_url_for(therapist, newcomer.email), follow=True)
        assert response.redirect_chain[-1][0] == reverse("prep:patient_home")
        html = response.content.decode()
        assert "Dana Reyes is now your therapist." in html
        assert "Your own sessions and" not in html
        assert CareLink.objects.get(patient=newcomer).history_decided_at is None

    def test_sessions_noted_after_the_link_started_do_not_ask(self, client, patient, therapist):
        own_session(patient, "Someone else", days=3)
        client.force_login(patient)
        home = client.get(reverse("prep:patient_home")).content.decode()
        assert "Your own sessions and" not in home
        response = client.get(choice_page(therapist))
        assert response.status_code == 302
        assert response.url == reverse("prep:patient_home")

    def test_an_invitation_to_another_address_offers_nothing(
        self, client, solo, history, therapist
    ):
        client.force_login(solo)
        url = accept_url_for(therapist, "someone-else@example.com")
        assert client.get(url).status_code == 403
        assert client.post(url).status_code == 403
        assert not CareLink.objects.filter(patient=solo).exists()
        assert client.get(choice_page(therapist)).status_code == 404
        home = client.get(reverse("prep:patient_home")).content.decode()
        assert "Your own sessions and" not in home

    def test_the_page_is_the_patients_own(self, client, linked, therapist, people):
        for who in ("therapist", "other_therapist", "manager", "other_patient"):
            assert_access(client, people[who], "get", choice_page(therapist), 404)
            assert_access(
                client, people[who], "post", choice_page(therapist), 404, {"answer": "keep"}
            )
        linked.refresh_from_db()
        assert linked.history_decided_at is None

    def test_signed_out_it_asks_to_sign_in(self, client, linked, therapist):
        client.logout()
        assert_access(client, None, "get", choice_page(therapist), 302)


class TestBeforeAnswering:
    def test_nobody_else_reaches_any_own_session(self, client, linked, history, people):
        assert_nobody_else_reaches(client, history.values(), people)

    def test_the_new_therapist_lists_none_of_them(self, client, linked, therapist):
        client.force_login(therapist)
        assert not Appointment.objects.of_therapist(therapist).exists()
        page = client.get(reverse("prep:patient_detail", args=[linked.patient_id]))
        assert page.status_code == 200
        assert PRIVATE_THOUGHT not in page.content.decode()


class TestKeeping:
    def test_keeping_moves_nothing_and_records_the_answer(
        self, client, linked, history, therapist, people
    ):
        response = answer(client, therapist, "keep", token=new_token())
        assert response.status_code == 302
        assert response.url == reverse("prep:patient_home")
        home = client.get(response.url).content.decode()
        assert "Nothing moved. Your own sessions stay private to you." in home
        linked.refresh_from_db()
        assert linked.history_brought is False
        assert linked.history_decided_at is not None
        assert linked.history_sessions_moved is None
        assert_nobody_else_reaches(client, history.values(), people)

    def test_ticks_pressed_with_keep_still_move_nothing(self, client, linked, history, therapist):
        key = group_key(client, therapist, "Dana Reyes")
        answer(client, therapist, "keep", [key])
        assert not Appointment.objects.filter(therapist=therapist).exists()


class TestBringing:
    def test_it_moves_exactly_the_chosen_sessions(self, client, linked, history, therapist):
        key = group_key(client, therapist, "Dana Reyes")
        response = answer(client, therapist, "bring", [key], token=new_token())
        assert response.status_code == 302
        home = client.get(response.url).content.decode()
        assert "Moved 3 sessions into your care with Dana Reyes (1 still to come)." in home
        chosen = {history["shared"].pk, history["draft"].pk, history["next"].pk}
        assert set(Appointment.objects.of_therapist(therapist).values_list("pk", flat=True)) == (
            chosen
        )
        history["okafor"].refresh_from_db()
        assert history["okafor"].therapist_id is None
        linked.refresh_from_db()
        assert linked.history_brought is True
        assert linked.history_sessions_moved == 3
        assert "Your own sessions and" not in home

    def test_the_therapist_reads_only_what_was_shared(self, client, linked, history, therapist):
        answer(client, therapist, "bring", [group_key(client, therapist, "Dana Reyes")])
        client.force_login(therapist)

        shared = client.get(reverse("prep:summary_read", args=[history["shared"].pk]))
        assert shared.status_code == 200
        html = shared.content.decode()
        assert "Shared by Robin" in html
        assert "(version 1)" in html
        # Its draft holds more since sharing; the therapist sees only what was shared.
        assert NOT_SHARED_AGENDA in str(summaries.draft_for(history["shared"]).snapshot)
        assert NOT_SHARED_AGENDA not in html
        assert PRIVATE_THOUGHT not in html

        # A draft never shared is not readable: the page says nothing was shared.
        draft_only = client.get(reverse("prep:summary_read", args=[history["draft"].pk]))
        assert draft_only.status_code == 200
        assert "Not shared yet." in draft_only.content.decode()
        assert PRIVATE_THOUGHT not in draft_only.content.decode()

        detail = client.get(reverse("prep:patient_detail", args=[linked.patient_id]))
        assert PRIVATE_THOUGHT not in detail.content.decode()

    def test_the_unchosen_stay_out_of_reach(self, client, linked, history, therapist, people):
        answer(client, therapist, "bring", [group_key(client, therapist, "Dana Reyes")])
        assert_nobody_else_reaches(client, [history["okafor"]], people)

    def test_other_people_still_reach_none_of_the_moved(
        self, client, linked, history, therapist, people
    ):
        answer(client, therapist, "bring", [group_key(client, therapist, "Dana Reyes")])
        moved = [history["shared"], history["draft"], history["next"]]
        for session in moved:
            for who in ("other_therapist", "manager", "other_patient"):
                for method, url in therapist_urls(session) + patient_urls(session):
                    assert_access(client, people[who], method, url, 404)
        # The therapist can now work with the one still to come.
        client.force_login(therapist)
        edit = reverse("appointments:appointment_edit", args=[history["next"].pk])
        assert client.get(edit).status_code == 200

    def test_a_replayed_post_changes_nothing_twice(self, client, linked, history, therapist):
        key = group_key(client, therapist, "Dana Reyes")
        token = new_token()
        answer(client, therapist, "bring", [key], token=token)
        first = linked.__class__.objects.get(pk=linked.pk).history_decided_at

        again = answer(client, therapist, "bring", [key], token=token)
        assert again.status_code == 302
        assert ALREADY_SENT in client.get(again.url).content.decode()
        # A different answer afterwards, without the token, changes nothing either.
        other = answer(client, therapist, "keep")
        assert other.status_code == 302
        assert "You had already answered this" in client.get(other.url).content.decode()

        linked.refresh_from_db()
        assert linked.history_decided_at == first
        assert linked.history_brought is True
        assert linked.history_sessions_moved == 3
        answered = client.get(choice_page(therapist)).content.decode()
        assert "you brought 3 of your own sessions into your care with Dana Reyes" in answered

    def test_bringing_with_nothing_ticked_is_a_clear_error(self, client, linked, therapist):
        response = answer(client, therapist, "bring", token=new_token())
        assert response.status_code == 400
        assert "Tick the sessions that were with Dana Reyes" in response.content.decode()
        linked.refresh_from_db()
        assert linked.history_decided_at is None

    def test_a_group_that_no_longer_exists_is_a_clear_error(self, client, linked, therapist):
        response = answer(client, therapist, "bring", ["0123456789abcdef"])
        assert response.status_code == 400
        assert "Your sessions changed while this page was open" in response.content.decode()
        assert not Appointment.objects.filter(therapist=therapist).exists()

    def test_a_missing_answer_is_a_clear_error(self, client, linked, therapist):
        response = client.post(choice_page(therapist), {"answer": "maybe"})
        assert response.status_code == 400
        assert "Choose one of the two buttons." in response.content.decode()


class TestASeriesAmongThem:
    @pytest.fixture
    def weekly(self, solo):
        first = (timezone.now() - timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
        series = SessionSeries.objects.create(
            patient=solo,
            therapist_name="Dana Reyes",
            every_weeks=1,
            first_starts_at=first,
            timezone="Europe/London",
        )
        sessions = []
        for number in range(4):
            starts_at = first + timedelta(weeks=number)
            session = Appointment.objects.create(
                patient=solo,
                therapist=None,
                therapist_name="Dana Reyes",
                series=series,
                occurrence=number,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=50),
            )
            if starts_at > timezone.now():
                emails.plan_for_booking(session)
            sessions.append(session)
        return series, sessions

    def test_the_page_says_what_happens_to_the_series(
        self, client, solo, weekly, therapist, linked
    ):
        html = client.get(choice_page(therapist)).content.decode()
        assert (
            "your weekly sessions already in the calendar move; Dana Reyes books the next ones"
            in html
        )

    def test_bringing_ends_the_series_and_moves_its_sessions(
        self, client, solo, weekly, therapist, linked
    ):
        from appointments import series as series_rules

        series, sessions = weekly
        response = answer(client, therapist, "bring", [group_key(client, therapist, "Dana Reyes")])
        home = client.get(response.url).content.decode()
        assert "Your repeating sessions have ended here; Dana Reyes books the next ones." in home
        series.refresh_from_db()
        assert series.ended_at is not None
        for session in sessions:
            session.refresh_from_db()
            assert session.therapist == therapist
        # No more own sessions are made for it.
        assert series_rules.materialise(series, timezone.now() + timedelta(weeks=1)) == 0
        still_own = Appointment.objects.filter(patient=solo, therapist=None)
        assert [session.therapist_name for session in still_own] == ["Dr Okafor"]

    def test_reminders_of_moved_sessions_still_go_out(
        self, client, solo, weekly, therapist, linked, deliver_outbox
    ):
        _, sessions = weekly
        to_come = [session for session in sessions if session.starts_at > timezone.now()]
        planned = set(
            Message.objects.about([emails.REMINDER], to_come[0].pk).values_list("pk", flat=True)
        )
        assert planned

        answer(client, therapist, "bring", [group_key(client, therapist, "Dana Reyes")])

        # The same rows, still pending, nothing planned twice.
        after = Message.objects.about([emails.REMINDER], to_come[0].pk)
        assert set(after.values_list("pk", flat=True)) == planned
        assert all(message.status == Message.Status.PENDING for message in after)
        mail.outbox.clear()
        first_due = min(message.due_at for message in after)
        with time_machine.travel(first_due + timedelta(minutes=1), tick=False):
            assert deliver_outbox() >= 1
        reminder = next(message for message in mail.outbox if solo.email in message.to)
        assert "Dana Reyes" in reminder.body
        assert PRIVATE_THOUGHT not in reminder.body


class TestComingBackIntoCare:
    def test_care_starting_again_asks_again(self, client, linked, therapist, history):
        answer(client, therapist, "keep")
        CareLink.objects.filter(pk=linked.pk).update(ended_at=timezone.now())
        client.post(accept_url_for(therapist, linked.patient.email))
        linked.refresh_from_db()
        assert linked.is_active
        assert linked.history_decided_at is None and linked.history_brought is None
        assert client.get(choice_page(therapist)).status_code == 200


def test_the_question_costs_the_same_for_few_and_many_sessions(
    client, linked, solo, therapist, django_assert_max_num_queries
):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(choice_page(therapist)).status_code == 200
        return len(captured)

    few = count()
    for week in range(120):
        session = own_session(solo, f"Therapist {week % 6}", days=-7 * (week + 20))
        if week % 10 == 0:
            share_a_summary(session)
    with django_assert_max_num_queries(few):
        assert client.get(choice_page(therapist)).status_code == 200
