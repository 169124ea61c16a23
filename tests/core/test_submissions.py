"""One submission, one record (core/submissions.py): a form's one-time token makes a
doubled or replayed POST come back to the first result without doing anything twice;
a POST that was not acted on gives its token back; a POST without one is as before."""

import re
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from core.models import SubmissionToken
from core.submissions import ALREADY_SENT, FIELD
from core.tasks import purge_submission_tokens
from journal import measures
from journal.models import MeasureResponse
from prep import summaries
from prep.models import AgendaItem
from tests.factories import AppointmentFactory

TOKEN = re.compile(rf'<input type="hidden" name="{FIELD}" value="([A-Za-z0-9_-]+)">')
AGENDA = reverse("prep:agenda")
PHQ9 = reverse("journal:measure_new", args=["phq9"])


def token_on(client, url: str) -> str:
    """The token the page's form carries, as a browser would send it back."""
    response = client.get(url)
    assert response.status_code == 200
    [token] = TOKEN.findall(response.content.decode())
    return token


def phq9(*, token: str | None = None, item_9: int = 0) -> dict:
    data = {f"item_{n}": "1" for n in range(1, 9)} | {"item_9": str(item_9)}
    if token:
        data[FIELD] = token
    return data


def shown(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def signed_in(client, patient):
    client.force_login(patient)
    return client


class TestTheFormCarriesAToken:
    def test_each_page_gets_a_fresh_one_and_showing_it_stores_nothing(self, signed_in):
        first, second = token_on(signed_in, AGENDA), token_on(signed_in, AGENDA)
        assert first != second
        assert len(first) >= 43
        assert not SubmissionToken.objects.exists()


class TestAReplay:
    def test_it_returns_the_first_redirect_and_creates_nothing(self, signed_in, patient):
        token = token_on(signed_in, AGENDA)
        data = {"kind": "topic", "text": "My sister's wedding", FIELD: token}
        first = signed_in.post(AGENDA, data)
        again = signed_in.post(AGENDA, data)
        assert first.status_code == again.status_code == 302
        assert again.url == first.url == AGENDA
        assert AgendaItem.objects.filter(patient=patient).count() == 1
        assert ALREADY_SENT in shown(again)
        stored = SubmissionToken.objects.get()
        assert (stored.token, stored.user_id, stored.redirect_to) == (token, patient.pk, AGENDA)

    def test_it_goes_where_the_first_went_even_if_what_it_sends_differs(self, signed_in):
        token = token_on(signed_in, PHQ9)
        first = signed_in.post(PHQ9, phq9(token=token))
        again = signed_in.post(PHQ9, phq9(token=token, item_9=3))
        response = MeasureResponse.objects.get()
        assert again.url == first.url == reverse("journal:measure_detail", args=[response.pk])
        assert response.answers[8] == 0

    def test_a_new_page_gets_a_new_token_and_is_saved_again(self, signed_in, patient):
        for text in ("Sleep", "Sleep"):
            signed_in.post(
                AGENDA, {"kind": "topic", "text": text, FIELD: token_on(signed_in, AGENDA)}
            )
        assert AgendaItem.objects.filter(patient=patient).count() == 2

    def test_someone_elses_token_is_refused_and_changes_nothing(
        self, client, signed_in, patient, other_patient
    ):
        token = token_on(signed_in, AGENDA)
        signed_in.post(AGENDA, {"kind": "topic", "text": "Mine", FIELD: token})
        client.force_login(other_patient)
        response = client.post(AGENDA, {"kind": "topic", "text": "Theirs", FIELD: token})
        assert response.status_code == 403
        assert not AgendaItem.objects.filter(patient=other_patient).exists()


class TestWhatIsNotActedOnKeepsItsToken:
    def test_a_form_with_errors_can_be_corrected_and_sent_with_the_same_token(
        self, signed_in, patient
    ):
        token = token_on(signed_in, AGENDA)
        refused = signed_in.post(AGENDA, {"kind": "topic", "text": "", FIELD: token})
        assert refused.status_code == 400
        assert not SubmissionToken.objects.exists()
        saved = signed_in.post(AGENDA, {"kind": "topic", "text": "Work", FIELD: token})
        assert saved.status_code == 302
        assert ALREADY_SENT not in shown(saved)
        assert AgendaItem.objects.get(patient=patient).text == "Work"

    def test_a_redirect_that_reports_an_error_does_not_use_the_token_up(
        self, signed_in, patient, therapist
    ):
        """The summary's "add to agenda" box redirects back to the summary either way;
        only the redirect that saved something spends the token."""
        appointment = AppointmentFactory(therapist=therapist, patient=patient)
        summaries.generate_draft(appointment)
        review = reverse("prep:summary_review", args=[appointment.pk])
        url = reverse("prep:summary_add_agenda", args=[appointment.pk])
        token = token_on(signed_in, review)
        refused = signed_in.post(url, {"kind": "topic", "text": "", FIELD: token})
        assert refused.status_code == 302
        assert not SubmissionToken.objects.exists()
        data = {"kind": "topic", "text": "Money worries", FIELD: token}
        assert signed_in.post(url, data).url == review
        assert signed_in.post(url, data).url == review
        assert AgendaItem.objects.filter(patient=patient).count() == 1

    def test_a_view_that_fails_keeps_nothing_of_its_token(self, signed_in, monkeypatch):
        def broken(*args, **kwargs):
            raise RuntimeError("database went away")

        monkeypatch.setattr(measures, "record", broken)
        token = token_on(signed_in, PHQ9)
        signed_in.raise_request_exception = False
        assert signed_in.post(PHQ9, phq9(token=token)).status_code == 500
        assert not SubmissionToken.objects.exists()
        monkeypatch.undo()
        assert signed_in.post(PHQ9, phq9(token=token)).status_code == 302
        assert MeasureResponse.objects.count() == 1

    def test_signed_out_the_sign_in_redirect_records_no_token(self, client, patient):
        token = "x" * 43
        response = client.post(AGENDA, {"kind": "topic", "text": "Work", FIELD: token})
        assert response.url.startswith(reverse("account_login"))
        assert not SubmissionToken.objects.exists()


class TestWithoutAToken:
    def test_a_post_without_one_is_handled_as_before(self, signed_in, patient):
        data = {"kind": "topic", "text": "Work"}
        assert signed_in.post(AGENDA, data).status_code == 302
        assert signed_in.post(AGENDA, data).status_code == 302
        assert AgendaItem.objects.filter(patient=patient).count() == 2
        assert not SubmissionToken.objects.exists()

    @pytest.mark.parametrize("value", ["", "short", "x" * 65, "<script>alert(1)</script>" * 2])
    def test_a_value_that_is_not_a_token_is_ignored(self, signed_in, patient, value):
        data = {"kind": "topic", "text": "Work", FIELD: value}
        assert signed_in.post(AGENDA, data).status_code == 302
        assert signed_in.post(AGENDA, data).status_code == 302
        assert AgendaItem.objects.filter(patient=patient).count() == 2
        assert not SubmissionToken.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_posts_at_once_with_one_token_make_one_record(patient, monkeypatch):
    """GIVEN a PHQ-9 page WHEN its form is sent twice at the same moment (a double
    tap) THEN the second waits on the token's unique index until the first commits,
    and comes back to the same result without saving anything."""
    from django.test import Client

    if connection.vendor != "postgresql":
        pytest.skip("waiting on a unique index needs PostgreSQL (CI runs this)")
    record, calls = measures.record, []

    def slow_record(*args, **kwargs):
        calls.append(time.monotonic())
        time.sleep(0.3)  # the first is still working when the second arrives
        return record(*args, **kwargs)

    monkeypatch.setattr(measures, "record", slow_record)
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(patient)
    token = token_on(clients[0], PHQ9)
    results, barrier = [], threading.Barrier(2)

    def press(client):
        try:
            barrier.wait()
            response = client.post(PHQ9, phq9(token=token))
            results.append((response.status_code, response.url, time.monotonic()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press, args=(client,)) for client in clients]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    saved = MeasureResponse.objects.get()
    detail = reverse("journal:measure_detail", args=[saved.pk])
    assert sorted(result[:2] for result in results) == [(302, detail), (302, detail)]
    # The work was done once, and neither came back before it was done.
    assert len(calls) == 1
    assert min(result[2] for result in results) - started >= 0.3
    assert SubmissionToken.objects.get().redirect_to == detail


class TestOldTokensArePurged:
    def test_the_beat_task_forgets_tokens_older_than_a_day(self, signed_in):
        now = timezone.now()
        with time_machine.travel(now - timedelta(hours=25), tick=False):
            signed_in.post(AGENDA, {"kind": "topic", "text": "Old", FIELD: "o" * 43})
        with time_machine.travel(now - timedelta(hours=23), tick=False):
            signed_in.post(AGENDA, {"kind": "topic", "text": "Recent", FIELD: "r" * 43})
        with time_machine.travel(now, tick=False):
            assert purge_submission_tokens.delay().get() == 1
        assert list(SubmissionToken.objects.values_list("token", flat=True)) == ["r" * 43]

    def test_it_is_on_the_beat_schedule(self):
        tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        assert "core.tasks.purge_submission_tokens" in tasks
