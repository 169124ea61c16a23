"""The page a summary link opens, for someone with no account: that version and
nothing else, not indexed, not kept, no Referer; a code when the patient set one,
locked after five wrong tries; a clear page once the link has expired or been
turned off; each opening recorded, and nothing else written."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from prep import links
from prep.models import SummaryLink, SummaryLinkOpening
from tests.factories import UserFactory
from tests.prep.summary_link_fixtures import share_a_typical_summary


@pytest.fixture
def shared(therapist, patient):
    return share_a_typical_summary(therapist, patient)


def page_url(link):
    return reverse("prep:shared_summary", args=[link.token])


def pdf_url(link):
    return reverse("prep:shared_summary_pdf", args=[link.token])


def assert_unlisted(response, referrer="no-referrer"):
    assert response["X-Robots-Tag"].startswith("noindex")
    assert response["Referrer-Policy"] == referrer
    assert f'<meta name="referrer" content="{referrer}">' in response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_the_reader_sees_that_version_and_nothing_of_the_app(client, patient, shared):
    link = links.create(shared, 7)
    response = client.get(page_url(link))
    page = response.content.decode()
    assert response.status_code == 200
    assert_unlisted(response)
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert '<meta name="referrer" content="no-referrer">' in page
    assert 'content="same-origin"' not in page
    assert "Sam Patel" in page
    assert "How to handle Sunday evenings" in page  # the agenda, as shared
    assert "Sleep through most nights" in page
    assert "Days I marked to bring up" in page
    assert "Page 1" not in page  # numbers are for print
    assert 'class="print-running"' in page  # the sheet's running head, reused
    # No app navigation, no sign-in, no other page of the patient's; the crisis link stays.
    assert "Sign in" not in page
    assert 'aria-label="Main"' not in page
    assert "Need help now" in page
    assert set(re.findall(r'<a [^>]*href="([^"#]+)"', page)) == {
        reverse("journal:support"),
        pdf_url(link),
    }


def test_a_signed_in_visitor_sees_no_menu_of_theirs_either(client, therapist, shared):
    link = links.create(shared, 7)
    client.force_login(therapist)
    page = client.get(page_url(link)).content.decode()
    assert "Sign out" not in page
    assert reverse("prep:therapist_dashboard") not in page


def test_a_share_left_out_stays_out(client, patient, shared):
    """The version holds what the patient shared: their words on a flagged day were
    not ticked to go, so the link doesn't show them."""
    link = links.create(shared, 7)
    assert "Felt left out at the party" not in client.get(page_url(link)).content.decode()


def test_each_opening_is_recorded_and_nothing_else_is_written(client, shared):
    link = links.create(shared, 7)
    client.get(page_url(link))
    client.get(page_url(link))
    client.get(pdf_url(link))
    assert list(SummaryLinkOpening.objects.values_list("as_pdf", flat=True).order_by("pk")) == [
        False,
        False,
        True,
    ]


def test_a_head_request_records_nothing(client, shared):
    link = links.create(shared, 7)
    assert client.head(page_url(link)).status_code == 200
    assert not SummaryLinkOpening.objects.exists()


def test_the_patient_looking_at_their_own_link_is_not_an_opening(client, patient, shared):
    link = links.create(shared, 7)
    client.force_login(patient)
    assert client.get(page_url(link)).status_code == 200
    assert not SummaryLinkOpening.objects.exists()


# Links that don't open ----------------------------------------------------------------


def test_an_expired_link_says_so_with_a_410(client, shared):
    link = links.create(shared, 1)
    with time_machine.travel(link.expires_at - timedelta(seconds=1)):
        assert client.get(page_url(link)).status_code == 200
    with time_machine.travel(link.expires_at):
        response = client.get(page_url(link))
        pdf = client.get(pdf_url(link))
    assert response.status_code == 410 and pdf.status_code == 410
    page = response.content.decode()
    assert "This link has expired" in page
    assert "Sam" not in page  # nothing of the patient's once it's over
    assert_unlisted(response)
    assert SummaryLinkOpening.objects.count() == 1


def test_a_link_turned_off_says_so_with_a_410(client, shared):
    link = links.create(shared, 7)
    links.revoke(link)
    response = client.get(page_url(link))
    assert response.status_code == 410
    assert "This link has been turned off" in response.content.decode()
    assert client.get(pdf_url(link)).status_code == 410
    assert not SummaryLinkOpening.objects.exists()


@pytest.mark.parametrize("token", ["x" * 43, "short", "A" * 44, "%2e%2e", "a" * 42 + "!"])
def test_an_unknown_link_is_a_404_in_the_apps_voice(client, shared, token):
    links.create(shared, 7)
    response = client.get(reverse("prep:shared_summary", args=[token]))
    assert response.status_code == 404
    assert "We couldn’t find this link" in response.content.decode()
    assert_unlisted(response)


def test_a_link_opens_only_its_own_version(client, patient, other_patient, other_therapist, shared):
    theirs = share_a_typical_summary(other_therapist, other_patient)
    mine, their_link = links.create(shared, 7), links.create(theirs, 7)
    assert "Sam Patel" in client.get(page_url(mine)).content.decode()
    page = client.get(page_url(their_link)).content.decode()
    assert "Alex Morgan" in page and "Sam Patel" not in page


# The code --------------------------------------------------------------------------


def test_with_a_code_the_summary_waits_for_it(client, shared):
    link = links.create(shared, 7, code="Tulip42")
    response = client.get(page_url(link))
    page = response.content.decode()
    assert response.status_code == 200
    # The code form keeps its origin, or its POST would say "Origin: null" and fail
    # the CSRF check; it shows nothing of the summary and links off-site nowhere.
    assert_unlisted(response, referrer="same-origin")
    assert "Enter the code" in page
    assert "Sleep through most nights" not in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert client.get(pdf_url(link)).status_code == 302  # to the code form
    assert not SummaryLinkOpening.objects.exists()


def test_the_right_code_opens_it_case_and_spaces_aside(client, shared):
    link = links.create(shared, 7, code="Tulip42")
    response = client.post(page_url(link), {"code": " tulip 42 "})
    assert response.status_code == 303
    assert response.url == page_url(link)
    page = client.get(page_url(link)).content.decode()
    assert "Sleep through most nights" in page
    assert client.get(pdf_url(link))["Content-Type"] == "application/pdf"
    assert SummaryLinkOpening.objects.count() == 2


def test_the_code_is_checked_against_forged_requests(shared):
    from django.test import Client

    link = links.create(shared, 7, code="Tulip42")
    response = Client(enforce_csrf_checks=True).post(page_url(link), {"code": "Tulip42"})
    assert response.status_code == 403
    assert SummaryLink.objects.get().failed_attempts == 0


def test_with_the_page_and_its_token_the_code_form_posts_safely(shared):
    from django.test import Client

    reader = Client(enforce_csrf_checks=True)
    link = links.create(shared, 7, code="Tulip42")
    page = reader.get(page_url(link)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    response = reader.post(page_url(link), {"code": "Tulip42", "csrfmiddlewaretoken": token})
    assert response.status_code == 303


def test_a_code_opened_in_one_browser_is_not_open_in_another(client, shared):
    from django.test import Client

    link = links.create(shared, 7, code="Tulip42")
    client.post(page_url(link), {"code": "Tulip42"})
    assert "Enter the code" in Client().get(page_url(link)).content.decode()


def test_a_wrong_code_says_so_and_counts(client, shared):
    link = links.create(shared, 7, code="Tulip42")
    response = client.post(page_url(link), {"code": "Rose42"})
    assert response.status_code == 400
    assert "That code isn’t right. You can try 4 more times." in response.content.decode()
    assert_unlisted(response, referrer="same-origin")
    assert SummaryLink.objects.get().failed_attempts == 1
    assert client.post(page_url(link), {"code": ""}).status_code == 400


def test_five_wrong_codes_lock_the_link_for_good(client, patient, shared):
    link = links.create(shared, 7, code="Tulip42")
    for attempt in range(4):
        assert client.post(page_url(link), {"code": f"wrong{attempt}"}).status_code == 400
    response = client.post(page_url(link), {"code": "wrong5"})
    assert response.status_code == 403
    assert "This link is locked" in response.content.decode()
    # Even the right code, and even a plain visit, find it locked now.
    assert client.post(page_url(link), {"code": "Tulip42"}).status_code == 403
    assert client.get(page_url(link)).status_code == 403
    assert SummaryLink.objects.get().failed_attempts == 5
    assert not SummaryLinkOpening.objects.exists()
    client.force_login(patient)
    links_page = reverse("prep:summary_links", args=[shared.appointment_id, shared.version])
    assert "Locked" in client.get(links_page).content.decode()


def test_a_code_cookie_from_another_link_opens_nothing(client, shared):
    first = links.create(shared, 7, code="Tulip42")
    second = links.create(shared, 7, code="Daisy42")
    client.post(page_url(first), {"code": "Tulip42"})
    assert "Enter the code" in client.get(page_url(second)).content.decode()


# Query budget ----------------------------------------------------------------------


def test_the_page_costs_the_same_however_often_it_was_opened(
    client, shared, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    link = links.create(shared, 7)
    for _ in range(3):
        links.create(shared, 7)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(page_url(link)).status_code == 200
    first = len(captured)
    assert first <= 4
    SummaryLinkOpening.objects.bulk_create(SummaryLinkOpening(link=link) for _ in range(200))
    UserFactory.create_batch(5)
    with django_assert_max_num_queries(first):
        assert client.get(page_url(link)).status_code == 200


def test_erasing_the_patients_account_takes_the_links_and_their_emails(client, patient, shared):
    from notifications.models import Message
    from prep import emails, privacy
    from prep.models import SummaryLinkEmail

    link = links.create(shared, 7)
    emails.send_summary_link(link, "dr.lee@example.org")
    client.get(page_url(link))
    privacy.erase(patient)
    assert not SummaryLink.objects.exists()
    assert not SummaryLinkOpening.objects.exists()
    assert not SummaryLinkEmail.objects.exists()
    assert not Message.objects.filter(kind="summary_link").exists()
    assert client.get(page_url(link)).status_code == 404
