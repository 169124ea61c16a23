import re
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    generate_totp_secret,
)
from django.core import mail
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from accounts import invitations
from accounts.models import User
from tests.factories import PASSWORD, UserFactory, current_totp_code


def current_code(secret: str) -> str:
    return current_totp_code(secret)


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_people_sign_in_with_their_email_in_any_letter_case(client, patient):
    response = sign_in(client, patient.email.upper())
    assert response.status_code == 302
    assert client.get(reverse("home")).url == reverse("prep:patient_home")


@pytest.mark.parametrize(
    ("person", "start_page"),
    [
        ("patient", "prep:patient_home"),
        ("therapist", "prep:therapist_dashboard"),
        ("manager", "feedback:practice_home"),
    ],
)
def test_each_role_lands_on_its_own_start_page(client, request, person, start_page):
    client.force_login(request.getfixturevalue(person))
    response = client.get(reverse("home"))
    assert response.url == reverse(start_page)


def test_a_wrong_password_is_refused_with_a_message(client, patient):
    response = sign_in(client, patient.email, "wrong-password")
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_are_rate_limited_even_with_the_right_password(client, patient):
    for _ in range(5):
        sign_in(client, patient.email, "wrong-password")
    response = sign_in(client, patient.email)
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link_that_sets_a_new_password(client, patient, deliver_outbox):
    client.post(reverse("account_reset_password"), {"email": patient.email})
    assert mail.outbox == []  # it waits in the outbox
    assert deliver_outbox() == 1
    [message] = mail.outbox
    assert message.to == [patient.email]
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"password1": "a-brand-new-passphrase-7", "password2": "a-brand-new-passphrase-7"},
    )
    assert sign_in(client, patient.email, "a-brand-new-passphrase-7").status_code == 302


class TestStaffTwoFactor:
    @pytest.fixture(autouse=True)
    def _require(self, settings):
        settings.REQUIRE_STAFF_MFA = True

    @pytest.mark.parametrize("person", ["therapist", "manager"])
    def test_staff_without_mfa_are_sent_to_set_it_up(self, client, request, person):
        sign_in(client, request.getfixturevalue(person).email)
        response = client.get(reverse("accounts:patient_list"))
        assert response.status_code == 302
        assert response.url == reverse("mfa_activate_totp")

    # Committed as in production: allauth announces the new authenticator on commit.
    @pytest.mark.django_db(transaction=True)
    def test_setting_up_totp_opens_the_therapists_pages(self, client, therapist):
        sign_in(client, therapist.email)
        # Just signed in: one password prompt is enough (no "confirm it's you").
        page = client.get(reverse("mfa_activate_totp"))
        assert page.status_code == 200
        assert "Set up your authenticator app" in page.content.decode()
        secret = client.session[SECRET_SESSION_KEY]
        # Entering the code to set it up counts as using it.
        client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
        assert Authenticator.objects.filter(user=therapist).exists()
        assert client.get(reverse("accounts:patient_list")).status_code == 200

    def test_a_sign_in_from_a_while_ago_is_asked_to_confirm_again(self, client, therapist):
        sign_in(client, therapist.email)
        with time_machine.travel(timezone.now() + timedelta(minutes=6)):
            asked = client.get(reverse("mfa_activate_totp"))
            assert asked.status_code == 302
            assert asked.url.startswith(reverse("account_reauthenticate"))
            page = client.get(asked.url).content.decode()
            assert "Confirm it’s you" in page
            client.post(asked.url, {"password": PASSWORD})
            assert client.get(reverse("mfa_activate_totp")).status_code == 200

    def test_a_therapist_who_just_made_their_account_sets_up_without_a_second_password(
        self, client, manager
    ):
        """GIVEN a practice manager's invitation
        WHEN the therapist creates their account from it (typing their password)
        THEN they go straight to setting up the authenticator app, not asked again."""
        invitation = invitations.invite_therapist(manager, "kim@example.com", "Kim")
        response = client.post(
            invitations.accept_path(invitation),
            {
                "first_name": "Kim",
                "last_name": "Ode",
                "password1": "quiet-river-morning-42",
                "password2": "quiet-river-morning-42",
                "timezone": "Europe/Paris",
            },
        )
        assert response.status_code == 302
        assert client.get(reverse("home"), follow=True).redirect_chain[-1][0] == (
            reverse("mfa_activate_totp")
        )
        page = client.get(reverse("mfa_activate_totp"))
        assert page.status_code == 200

    def test_a_fresh_sign_in_does_not_stand_in_for_confirming_a_deletion(self, client, patient):
        sign_in(client, patient.email)
        asked = client.post(reverse("prep:delete_account"))
        assert asked.url.startswith(reverse("account_reauthenticate"))
        assert User.objects.get(pk=patient.pk).is_active

    def test_patients_are_not_forced(self, client, patient):
        client.force_login(patient)
        assert client.get(reverse("prep:patient_home")).status_code == 200

    def test_staff_with_totp_sign_in_with_a_code_and_get_through(self, client, therapist):
        secret = generate_totp_secret()
        TOTP.activate(therapist, secret)
        response = sign_in(client, therapist.email)
        assert response.url == reverse("mfa_authenticate")
        client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
        assert client.get(reverse("accounts:patient_list")).status_code == 200

    def test_mfa_can_be_required_off(self, client, therapist, settings):
        settings.REQUIRE_STAFF_MFA = False
        client.force_login(therapist)
        assert client.get(reverse("accounts:patient_list")).status_code == 200


def test_signed_in_pages_are_never_stored_by_the_browser(client, patient):
    client.force_login(patient)
    response = client.get(reverse("prep:patient_home"))
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_times_are_shown_in_the_viewers_own_time_zone(client, therapist):
    from datetime import UTC, datetime

    from tests.factories import InvitationFactory

    InvitationFactory(therapist=therapist, sent_at=datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    therapist.timezone = "Asia/Tokyo"
    therapist.save()
    client.force_login(therapist)
    with time_machine.travel(datetime(2026, 7, 1, 13, 0, tzinfo=UTC)):
        page = client.get(reverse("accounts:patient_list")).content.decode()
    assert "sent 1 Jul, 21:00" in page


def test_settings_save_name_and_time_zone(client, patient):
    client.force_login(patient)
    response = client.post(
        reverse("accounts:profile"),
        {
            "first_name": "Sam",
            "last_name": "Patel",
            "timezone": "America/Chicago",
        },
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.timezone == "America/Chicago"


def test_settings_refuse_an_unknown_time_zone(client, patient):
    client.force_login(patient)
    response = client.post(
        reverse("accounts:profile"),
        {"first_name": "Sam", "timezone": "Nowhere/Special"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Select a valid choice." in page
    patient.refresh_from_db()
    assert patient.timezone == "Europe/London"


def test_email_addresses_are_unique_regardless_of_case(db):
    from django.db import IntegrityError, transaction

    UserFactory(email="same@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="SAME@example.com")


def test_sign_in_says_so_when_the_shared_cache_is_down(client, patient):
    down = RedisConnectionError("Connection refused")
    backend = caches["default"]  # Redis under CI, in-process locally
    with (
        mock.patch.object(backend, "add", side_effect=down),
        mock.patch.object(backend, "get", side_effect=down),
    ):
        response = sign_in(client, patient.email)
    assert response.status_code == 503
    assert "back in a moment" in response.content.decode()
    assert "_auth_user_id" not in client.session
