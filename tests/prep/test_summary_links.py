"""The patient's page of links to a shared version: making one (how long, an optional
code), copying it, emailing it through the outbox, turning it off, and seeing each
opening in their own time zone. Nobody else can see, make or turn off their links."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from core.submissions import new_token
from notifications.models import Message
from prep import links, summaries
from prep.models import SummaryLink, SummaryLinkEmail, SummaryLinkOpening
from tests.conftest import PEOPLE, assert_access
from tests.factories import AppointmentFactory, DailyEntryFactory
from tests.prep.summary_link_fixtures import share_a_typical_summary


@pytest.fixture
def shared(therapist, patient):
    return share_a_typical_summary(therapist, patient)


def links_url(summary):
    return reverse("prep:summary_links", args=[summary.appointment_id, summary.version])


def make_link(client, summary, **data):
    return client.post(links_url(summary), {"days": "7", **data})


# Making a link ------------------------------------------------------------------


def test_the_form_offers_a_week_and_no_code_until_the_patient_chooses(client, patient, shared):
    client.force_login(patient)
    page = client.get(links_url(shared)).content.decode()
    checked = re.findall(r'name="days" value="(\d+)"[^>]*checked', page)
    assert checked == ["7"]
    assert re.search(r'<input type="text" name="code"[^>]*>', page)
    assert 'name="code" value' not in page  # the code box is empty
    assert "No links yet." in page


def test_making_a_link_stores_only_hashes_and_shows_the_link(client, patient, shared):
    client.force_login(patient)
    response = make_link(client, shared, code="ab12", submission_token=new_token())
    link = SummaryLink.objects.get()
    assert response.status_code == 302
    assert response.url.endswith(f"#link-{link.pk}")
    assert len(link.token) == 43  # 256 random bits
    assert link.token_hash != link.token and len(link.token_hash) == 64
    assert link.code_hash and "ab12" not in link.code_hash.lower()
    assert link.summary == shared and link.revoked_at is None

    page = client.get(links_url(shared)).content.decode()
    assert links.url_of(link) in page
    assert "Asks for the code you chose." in page
    assert "Not opened yet." in page


@pytest.mark.parametrize(("days", "hours"), [("1", 24), ("30", 720)])
def test_the_link_works_for_the_time_chosen(client, patient, shared, days, hours):
    client.force_login(patient)
    with time_machine.travel(datetime(2026, 6, 10, 9, 0, tzinfo=UTC), tick=False):
        make_link(client, shared, days=days)
    link = SummaryLink.objects.get()
    assert link.expires_at == datetime(2026, 6, 10, 9, 0, tzinfo=UTC) + timedelta(hours=hours)


@pytest.mark.parametrize(
    ("made", "expires", "shown"),
    [
        # London springs forward on 29 March: a week from 10:00 GMT is 10:00 BST.
        (
            datetime(2026, 3, 25, 10, 0, tzinfo=UTC),
            datetime(2026, 4, 1, 9, 0, tzinfo=UTC),
            "until Wednesday 1 April, 10:00",
        ),
        # …and falls back on 25 October: 10:00 BST to 10:00 GMT.
        (
            datetime(2026, 10, 21, 9, 0, tzinfo=UTC),
            datetime(2026, 10, 28, 10, 0, tzinfo=UTC),
            "until Wednesday 28 October, 10:00",
        ),
    ],
)
def test_a_week_ends_at_the_same_time_on_the_patients_clock_across_a_clock_change(
    client, patient, shared, made, expires, shown
):
    patient.timezone = "Europe/London"
    patient.save(update_fields=["timezone"])
    client.force_login(patient)
    with time_machine.travel(made, tick=False):
        make_link(client, shared, days="7")
        page = client.get(links_url(shared)).content.decode()
    assert SummaryLink.objects.get().expires_at == expires
    assert shown in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"days": "31"}, "Choose one of the listed lengths of time."),
        ({"days": "365"}, "Choose one of the listed lengths of time."),
        ({"days": ""}, "This field is required."),
        ({"days": "7", "code": "ab"}, "Make the code at least 4 characters."),
        ({"days": "7", "code": "ab-12!"}, "Use only letters and numbers in the code."),
    ],
)
def test_a_form_that_asks_too_much_or_too_little_is_refused_with_a_message(
    client, patient, shared, data, error
):
    client.force_login(patient)
    response = client.post(links_url(shared), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not SummaryLink.objects.exists()


def test_pressing_make_twice_makes_one_link(client, patient, shared):
    client.force_login(patient)
    token = new_token()
    first = make_link(client, shared, submission_token=token)
    second = make_link(client, shared, submission_token=token)
    assert SummaryLink.objects.count() == 1
    assert second.status_code == 302 and second.url == first.url


def test_only_a_shared_version_has_links(client, patient, shared):
    client.force_login(patient)
    draft_url = reverse("prep:summary_links", args=[shared.appointment_id, 0])
    assert client.get(draft_url).status_code == 404
    missing = reverse("prep:summary_links", args=[shared.appointment_id, 2])
    assert client.get(missing).status_code == 404
    too_big = reverse("prep:summary_links", args=[shared.appointment_id, 2**40])
    assert client.get(too_big).status_code == 404


def test_the_review_page_leads_to_each_versions_links(client, patient, shared):
    client.force_login(patient)
    page = client.get(reverse("prep:summary_review", args=[shared.appointment_id])).content
    assert links_url(shared).encode() in page


# Turning it off ---------------------------------------------------------------------


def test_turning_a_link_off_stops_it_at_once(client, patient, shared):
    link = links.create(shared, 7)
    client.force_login(patient)
    response = client.post(
        reverse("prep:summary_link_revoke", args=[link.pk]), {"submission_token": new_token()}
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    page = client.get(links_url(shared)).content.decode()
    assert "Turned off" in page
    assert links.url_of(link) not in page  # nothing left to copy
    client.logout()
    assert client.get(reverse("prep:shared_summary", args=[link.token])).status_code == 410


def test_turning_off_twice_keeps_the_first_time(client, patient, shared):
    link = links.create(shared, 7)
    client.force_login(patient)
    url = reverse("prep:summary_link_revoke", args=[link.pk])
    client.post(url)
    first = SummaryLink.objects.get().revoked_at
    response = client.post(url, follow=True)
    assert "That link was already turned off." in response.content.decode()
    assert SummaryLink.objects.get().revoked_at == first


def test_turning_off_is_a_post(client, patient, shared):
    link = links.create(shared, 7)
    client.force_login(patient)
    assert client.get(reverse("prep:summary_link_revoke", args=[link.pk])).status_code == 405
    assert SummaryLink.objects.get().revoked_at is None


# Email through the outbox -------------------------------------------------------------


def test_the_link_is_emailed_through_the_outbox_without_the_code_or_health_content(
    client, patient, shared, deliver_outbox
):
    client.force_login(patient)
    make_link(client, shared, code="Tulip42")
    link = SummaryLink.objects.get()
    response = client.post(
        reverse("prep:summary_link_email", args=[link.pk]),
        {"address": "dr.lee@example.org", "submission_token": new_token()},
        follow=True,
    )
    assert "Sent to dr.lee@example.org." in response.content.decode()
    assert Message.objects.filter(kind="summary_link", status="pending").count() == 1
    assert not mail.outbox  # nothing leaves inside the request

    assert deliver_outbox() == 1
    (email,) = mail.outbox
    assert email.to == ["dr.lee@example.org"]
    assert "Sam Patel shared a page with you" in email.subject
    body = email.body + email.alternatives[0][0]
    assert links.url_of(link) in email.body
    assert "It asks for a code" in email.body
    for secret in ("Tulip42", "TULIP42", "Felt left out", "Sleep through", "mood", "PHQ"):
        assert secret not in body, secret
    assert "dr.lee@example.org" in client.get(links_url(shared)).content.decode()


def test_an_email_for_a_link_turned_off_before_sending_is_not_sent(
    client, patient, shared, deliver_outbox
):
    link = links.create(shared, 7)
    client.force_login(patient)
    client.post(reverse("prep:summary_link_email", args=[link.pk]), {"address": "a@example.org"})
    links.revoke(link)
    assert deliver_outbox() == 0
    assert not mail.outbox


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_a_link_that_no_longer_works_is_not_emailed(client, patient, shared, state):
    link = links.create(shared, 7)
    if state == "revoked":
        links.revoke(link)
    later = timedelta(seconds=1) if state == "expired" else timedelta(days=-6)
    with time_machine.travel(link.expires_at + later):
        client.force_login(patient)
        response = client.post(
            reverse("prep:summary_link_email", args=[link.pk]), {"address": "a@example.org"}
        )
    assert response.status_code == 400
    assert "This link no longer works, so it wasn’t sent." in response.content.decode()
    assert not SummaryLinkEmail.objects.exists()
    assert not Message.objects.exists()


def test_a_wrong_address_is_refused_with_a_message_and_nothing_queued(client, patient, shared):
    link = links.create(shared, 7)
    client.force_login(patient)
    response = client.post(
        reverse("prep:summary_link_email", args=[link.pk]), {"address": "not an address"}
    )
    assert response.status_code == 400
    assert "That doesn’t look like an email address." in response.content.decode()
    assert not Message.objects.exists()


def test_sending_twice_with_one_press_queues_one_email(client, patient, shared):
    link = links.create(shared, 7)
    client.force_login(patient)
    data = {"address": "a@example.org", "submission_token": new_token()}
    client.post(reverse("prep:summary_link_email", args=[link.pk]), data)
    client.post(reverse("prep:summary_link_email", args=[link.pk]), data)
    assert SummaryLinkEmail.objects.count() == 1
    assert Message.objects.count() == 1


# Openings, in the patient's zone --------------------------------------------------------


def test_each_opening_is_listed_in_the_patients_own_time(client, patient, shared):
    patient.timezone = "America/New_York"
    patient.save(update_fields=["timezone"])
    link = links.create(shared, 7)
    with time_machine.travel(datetime(2026, 12, 1, 15, 2, tzinfo=UTC), tick=False):
        client.get(reverse("prep:shared_summary", args=[link.token]))
    client.force_login(patient)
    page = client.get(links_url(shared)).content.decode()
    assert "Opened Tuesday 1 December, 10:02" in page
    assert SummaryLinkOpening.objects.count() == 1


# Access: the patient's links are the patient's ------------------------------------------


@pytest.mark.parametrize("who", PEOPLE)
def test_only_the_patient_sees_and_makes_links_to_their_version(client, people, shared, who):
    expected = 200 if who == "patient" else 404
    assert_access(client, people[who], "get", links_url(shared), expected)
    assert_access(client, people[who], "post", links_url(shared), 302 if who == "patient" else 404,
                  data={"days": "7"})  # fmt: skip
    assert SummaryLink.objects.count() == (1 if who == "patient" else 0)


@pytest.mark.parametrize("who", PEOPLE)
def test_only_the_patient_turns_off_or_emails_their_link(client, people, shared, who):
    link = links.create(shared, 7)
    ok = who == "patient"
    assert_access(
        client, people[who], "post", reverse("prep:summary_link_email", args=[link.pk]),
        302 if ok else 404, data={"address": "a@example.org"},
    )  # fmt: skip
    assert_access(
        client, people[who], "post", reverse("prep:summary_link_revoke", args=[link.pk]),
        302 if ok else 404,
    )  # fmt: skip
    link.refresh_from_db()
    assert (link.revoked_at is not None) is ok
    assert SummaryLinkEmail.objects.exists() is ok


@pytest.mark.parametrize("who", PEOPLE)
def test_only_the_patient_downloads_their_versions_pdf(client, people, shared, who):
    url = reverse("prep:summary_pdf", args=[shared.appointment_id, shared.version])
    response = assert_access(client, people[who], "get", url, 200 if who == "patient" else 404)
    if who == "patient":
        assert response["Content-Type"] == "application/pdf"


def test_another_patients_links_never_show_on_this_page(
    client, patient, other_patient, other_therapist, shared
):
    theirs = links.create(share_a_typical_summary(other_therapist, other_patient), 7)
    mine = links.create(shared, 7)
    client.force_login(patient)
    page = client.get(links_url(shared)).content.decode()
    assert links.url_of(mine) in page
    assert theirs.token not in page


def test_a_version_lists_only_its_own_links(client, patient, therapist, shared):
    """GIVEN version 1 with a link, then a version 2 shared with its own link
    THEN each version's page shows its own link only."""
    DailyEntryFactory(patient=patient, day=patient.today(), mood=1)
    second = summaries.share(shared.appointment)
    assert second.version == 2
    first_link, second_link = links.create(shared, 7), links.create(second, 7)
    client.force_login(patient)
    first_page = client.get(links_url(shared)).content.decode()
    second_page = client.get(links_url(second)).content.decode()
    assert first_link.token in first_page and second_link.token not in first_page
    assert second_link.token in second_page and first_link.token not in second_page


# Query budget -------------------------------------------------------------------------


def test_the_links_page_costs_the_same_for_one_link_and_many(
    client, patient, shared, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(count):
        for _ in range(count):
            link = links.create(shared, 7)
            SummaryLinkOpening.objects.bulk_create(SummaryLinkOpening(link=link) for _ in range(3))
            SummaryLinkEmail.objects.create(link=link, address="a@example.org")

    add(1)
    client.force_login(patient)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(links_url(shared)).status_code == 200
    few = len(captured)
    add(25)
    with django_assert_max_num_queries(few):
        assert client.get(links_url(shared)).status_code == 200


def test_a_session_of_someone_elses_never_lends_its_version(client, patient, therapist):
    """The URL names a session and a version: a version number of another session
    of the patient's never opens this one's."""
    appointment = AppointmentFactory(therapist=therapist, patient=patient)
    client.force_login(patient)
    assert client.get(reverse("prep:summary_links", args=[appointment.pk, 1])).status_code == 404
