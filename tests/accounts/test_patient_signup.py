"""Open patient sign-up: anyone may start on their own (a "solo" patient, whose
therapist may not be on the app). It only ever makes a patient, the address is
confirmed by email (sent through the outbox), and the new patient starts exactly as
an invited one does: their time zone, their reminder time, the starter symptoms."""

import re
from datetime import time

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import CareLink, User
from journal.entries import STARTER_SYMPTOMS
from journal.models import Symptom, by_name
from notifications.models import Message

NEW_PASSWORD = "quiet-river-morning-42"


def sign_up(client, **overrides):
    data = {
        "email": "robin@example.com",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "first_name": "Robin",
        "last_name": "",
        "timezone": "Europe/Lisbon",
        "reminder_time": "21:15",
        **overrides,
    }
    return client.post(reverse("account_signup"), data)


def confirm_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", message.body).group(1)


def test_the_sign_in_page_offers_to_create_an_account(client, db):
    page = client.get(reverse("account_login")).content.decode()
    assert f'href="{reverse("account_signup")}">Create an account</a>' in page


def test_sign_up_makes_a_patient_who_confirms_their_address_and_lands_home(
    client, db, deliver_outbox
):
    response = sign_up(client)
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")

    robin = User.objects.get(email="robin@example.com")
    assert robin.role == User.Role.PATIENT
    assert (robin.first_name, robin.last_name) == ("Robin", "")
    assert robin.timezone == "Europe/Lisbon"
    assert robin.reminder_time == time(21, 15)
    # The same start as an invited patient: the starter symptoms, and no therapist.
    assert sorted(s.name for s in by_name(Symptom.objects.filter(patient=robin))) == sorted(
        STARTER_SYMPTOMS
    )
    assert not CareLink.objects.filter(patient=robin).exists()
    assert not EmailAddress.objects.get(user=robin).verified
    # Not signed in until the address is confirmed.
    assert client.get(reverse("prep:patient_home")).status_code == 302

    # The confirmation waits in the outbox, and the dispatcher sends it.
    assert mail.outbox == []
    assert Message.objects.filter(kind="address_confirmation", recipient=robin).count() == 1
    assert deliver_outbox() == 1
    [message] = mail.outbox
    assert message.to == ["robin@example.com"]
    assert message.subject == "[Between Sessions] Confirm your email address"
    assert "Hello Robin," in message.body

    page = client.get(confirm_link(message))
    assert page.status_code == 200
    done = client.post(confirm_link(message))
    assert EmailAddress.objects.get(user=robin).verified
    # Confirmed in the same browser: signed in and home.
    assert client.get(done.url, follow=True).request["PATH_INFO"] == reverse("prep:patient_home")
    assert int(client.session["_auth_user_id"]) == robin.pk


@pytest.mark.parametrize("role", ["therapist", "manager"])
def test_a_posted_role_is_ignored_sign_up_only_makes_patients(client, db, role):
    response = sign_up(client, role=role, is_staff="on", is_superuser="on")
    assert response.status_code == 302
    robin = User.objects.get(email="robin@example.com")
    assert robin.role == User.Role.PATIENT
    assert not robin.is_staff and not robin.is_superuser


def test_an_address_with_an_account_makes_no_second_one_and_its_owner_is_told(
    client, patient, deliver_outbox
):
    response = sign_up(client, email=patient.email.upper(), first_name="Someone")
    # The page says the same as for a new address: nobody learns who has an account.
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert User.objects.filter(email__iexact=patient.email).count() == 1
    patient.refresh_from_db()
    assert patient.first_name == "Sam"
    assert client.get(reverse("prep:patient_home")).status_code == 302

    assert deliver_outbox() == 1
    [message] = mail.outbox
    assert message.to == [patient.email]
    assert message.subject == "[Between Sessions] You already have an account"
    assert "No new account was made." in message.body


@pytest.mark.parametrize(
    ("password1", "password2", "error"),
    [
        ("12345678", "12345678", "This password is too common."),
        ("short", "short", "too short"),
        (NEW_PASSWORD, "something-else-42", "same password"),
    ],
)
def test_a_weak_or_mismatched_password_is_refused_with_a_clear_message(
    client, db, password1, password2, error
):
    response = sign_up(client, password1=password1, password2=password2)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not User.objects.filter(email="robin@example.com").exists()
    assert not Message.objects.exists()


def test_a_missing_name_or_time_zone_is_refused_with_a_clear_message(client, db):
    response = sign_up(client, first_name="", timezone="Mars/Olympus")
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page
    assert "Select a valid choice." in page
    assert not User.objects.exists()


def test_sign_up_is_rate_limited(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "2/m/ip"}
    for number in range(2):
        assert sign_up(client, email=f"person{number}@example.com").status_code == 302
        client.logout()
    response = sign_up(client, email="person2@example.com")
    assert response.status_code == 429
    assert not User.objects.filter(email="person2@example.com").exists()


class TestClosed:
    @pytest.fixture(autouse=True)
    def _closed(self, settings):
        settings.OPEN_PATIENT_SIGNUP = False

    def test_the_sign_up_page_says_accounts_are_by_invitation(self, client, db):
        response = client.get(reverse("account_signup"))
        assert response.status_code == 200
        page = response.content.decode()
        assert "Sign-up is by invitation here." in page
        assert 'name="password1"' not in page

    def test_posting_to_it_makes_no_account(self, client, db):
        response = sign_up(client)
        assert response.status_code == 200
        assert "Accounts are by invitation" in response.content.decode()
        assert not User.objects.exists()
        assert not Message.objects.exists()

    def test_the_sign_in_page_offers_no_sign_up_link(self, client, db):
        page = client.get(reverse("account_login")).content.decode()
        assert reverse("account_signup") not in page
        assert "Create an account" not in page
        assert "Accounts are by invitation" in page


def test_password_reset_goes_through_the_outbox_in_the_apps_words(client, patient, deliver_outbox):
    response = client.post(reverse("account_reset_password"), {"email": patient.email})
    assert response.status_code == 302
    assert mail.outbox == []
    assert Message.objects.filter(kind="password_reset", recipient=patient).count() == 1
    assert deliver_outbox() == 1
    [message] = mail.outbox
    assert message.to == [patient.email]
    assert message.subject == "[Between Sessions] Set a new password"
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body)
    form = client.get(link.group(1), follow=True)
    assert "Choose a new password" in form.content.decode()
    # No secret is kept in the outbox: the link is made when the email is sent.
    assert not Message.objects.filter(key__contains=link.group(1).split("/")[-2]).exists()


def test_a_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, db):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert not Message.objects.exists()


def test_a_patient_who_signed_up_alone_is_in_nobodys_list(client, db, therapist):
    sign_up(client)
    robin = User.objects.get(email="robin@example.com")
    colleague = Client()
    colleague.force_login(therapist)
    page = colleague.get(reverse("accounts:patient_list")).content.decode()
    assert "robin@example.com" not in page
    assert colleague.get(reverse("prep:patient_detail", args=[robin.pk])).status_code == 404


def test_a_confirmation_link_opened_in_another_browser_does_not_sign_in(client, db, deliver_outbox):
    sign_up(client)
    deliver_outbox()
    [message] = mail.outbox
    elsewhere = Client()
    response = elsewhere.post(confirm_link(message))
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="robin@example.com").verified
    assert "_auth_user_id" not in elsewhere.session
    assert elsewhere.get(reverse("prep:patient_home")).status_code == 302


def test_every_allauth_email_in_use_has_an_outbox_kind(db):
    """A new allauth email (a setting turned on, an upgrade) fails loudly rather
    than leave beside the outbox."""
    from allauth.account.adapter import get_adapter
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        get_adapter().send_mail("account/email/login_code", "robin@example.com", {})
    assert mail.outbox == []


@pytest.mark.parametrize(
    "url_name",
    [
        "prep:patient_detail",
        "prep:patient_plan",
        "feedback:patient_feedback",
        "journal:measure_plan",
    ],
)
@pytest.mark.parametrize("person", ["therapist", "other_therapist", "manager"])
def test_no_therapist_or_manager_opens_a_solo_patients_pages(
    client, request, settings, db, url_name, person
):
    settings.REQUIRE_STAFF_MFA = False
    sign_up(client)
    robin = User.objects.get(email="robin@example.com")
    staff = Client()
    staff.force_login(request.getfixturevalue(person))
    assert staff.get(reverse(url_name, args=[robin.pk])).status_code == 404
