"""The admin is not a side door: it has no sign-in of its own, and a staff session
must have used two-factor sign-in, whichever way it was opened."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory, current_totp_code


def current_code(secret: str) -> str:
    return current_totp_code(secret)


@pytest.fixture(autouse=True)
def _require_staff_mfa(settings):
    settings.REQUIRE_STAFF_MFA = True


@pytest.fixture
def superuser(db):
    user = UserFactory(is_staff=True, is_superuser=True, role=User.Role.MANAGER)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    user.totp_secret = secret
    return user


def test_the_admins_own_sign_in_page_sends_you_to_the_apps(client, db):
    response = client.get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next=/admin/accounts/user/"


def test_a_password_posted_to_the_admin_signs_nobody_in(client, superuser):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": superuser.email, "password": PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert client.get("/admin/").status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("path", ["/admin/", "/dashboard/", "/practice/"])
def test_a_session_that_skipped_the_code_is_signed_out(client, superuser, path):
    # However the session was opened (here: a password-only login), it has no record
    # of a code being used.
    client.force_login(superuser)
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_password_and_code_through_the_app_open_the_admin(client, superuser):
    response = client.post(
        reverse("account_login"), {"login": superuser.email, "password": PASSWORD}
    )
    assert response.url == reverse("mfa_authenticate")
    client.post(reverse("mfa_authenticate"), {"code": current_code(superuser.totp_secret)})
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_does_not_open_the_admin(client, superuser):
    client.post(reverse("account_login"), {"login": superuser.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    response = client.get("/admin/")
    assert response.status_code == 302


def test_guesses_at_an_admins_password_are_throttled_like_anyones(client, superuser):
    # The admin's door is the app's sign-in, so its rate limit applies: after five
    # wrong guesses even the right password is refused.
    for _ in range(5):
        client.post("/admin/login/", {"username": superuser.email, "password": "wrong"})
        client.post(reverse("account_login"), {"login": superuser.email, "password": "wrong"})
    response = client.post(
        reverse("account_login"), {"login": superuser.email, "password": PASSWORD}
    )
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_createsuperuser_makes_a_manager_the_mfa_rule_covers(client, db):
    call_command("createsuperuser", email="root@example.com", interactive=False, verbosity=0)
    root = User.objects.get(email="root@example.com")
    assert root.role == User.Role.MANAGER
    root.set_password(PASSWORD)
    root.save()
    client.force_login(root)
    response = client.get("/admin/")
    assert response.url == reverse("mfa_activate_totp")
