"""allauth's pages in the app's voice: sentence case in every title, heading, button
and label, and an emailed link that can no longer be used says so plainly, with
410 Gone (allauth's own page says "Bad Token" with a 200)."""

import re
from html import unescape

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD

EXPIRED = "This link has expired or was already used"
# Names that are capitalised in any sentence.
PROPER_NAMES = ("Between Sessions", "Sam Patel", "Dana Reyes", "Jo Carter")


def _texts(page: str) -> list[str]:
    """The title, and the headings, buttons, button-like links, labels, placeholders
    and alternative texts of a page's main part."""
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    main = page[page.index("<main") : page.index("</main>")]
    parts = re.findall(
        r"<(h[1-6]|button|label|legend|summary)\b[^>]*>(.*?)</\1>|<a\b[^>]*class=\"[^\"]*btn[^\"]*\"[^>]*>(.*?)</a>",
        main,
        re.S,
    )
    texts = [title.split("·")[0]]
    for _tag, inner, link in parts:
        # Each run of text on its own: a badge ("Primary") is not part of a sentence.
        texts.extend(re.split(r"<[^>]+>", inner or link))
    texts.extend(re.findall(r'(?:placeholder|alt|aria-label)="([^"]*)"', main))
    return [" ".join(unescape(text).split()) for text in texts]


def assert_sentence_case(page: str, where: str) -> None:
    for text in _texts(page):
        for name in PROPER_NAMES:
            text = text.replace(name, "")
        # Two capitalised words in a row ("Password Reset", "Sign Out").
        title_case = re.search(r"\b[A-Z][a-z]+\s+[A-Z][a-z]+\b", text)
        assert not title_case, f"{where}: {text!r}"


def pages_signed_out(client, patient):
    return {
        "login": client.get(reverse("account_login")),
        "reset": client.get(reverse("account_reset_password")),
        "reset sent": client.get(reverse("account_reset_password_done")),
        "reset done": client.get(reverse("account_reset_password_from_key_done")),
        "bad reset link": client.get("/accounts/password/reset/key/1-not-a-key/"),
        "bad confirm link": client.get("/accounts/confirm-email/not-a-key/"),
        "verification sent": client.get(reverse("account_email_verification_sent")),
        "inactive": client.get(reverse("account_inactive")),
    }


def pages_signed_in(client, therapist):
    client.force_login(therapist)
    pages = {
        "logout": client.get(reverse("account_logout")),
        "change password": client.get(reverse("account_change_password")),
        "email": client.get(reverse("account_email")),
        "reauthenticate": client.get(reverse("account_reauthenticate")),
        "two-factor": client.get(reverse("mfa_index")),
    }
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    pages["set up totp"] = client.get(reverse("mfa_activate_totp"))
    return pages


def test_every_account_page_speaks_in_sentence_case(client, patient, therapist, settings):
    settings.REQUIRE_STAFF_MFA = False
    pages = pages_signed_out(client, patient)
    settings.OPEN_PATIENT_SIGNUP = True
    pages["signup"] = client.get(reverse("account_signup"))
    settings.OPEN_PATIENT_SIGNUP = False
    pages["signup closed"] = client.get(reverse("account_signup"))
    pages.update(pages_signed_in(client, therapist))
    # With an authenticator: the rest of the two-factor pages.
    TOTP.activate(therapist, generate_totp_secret())
    pages["turn off totp"] = client.get(reverse("mfa_deactivate_totp"))
    pages["recovery codes"] = client.get(reverse("mfa_generate_recovery_codes"))
    client.post(reverse("mfa_generate_recovery_codes"))
    pages["see codes"] = client.get(reverse("mfa_view_recovery_codes"))
    pages["two-factor on"] = client.get(reverse("mfa_index"))

    for where, response in pages.items():
        assert response.status_code in (200, 410), (where, response.status_code)
        assert_sentence_case(response.content.decode(), where)


def test_sign_in_offers_a_forgotten_password_link_big_enough_to_tap(client, db):
    page = client.get(reverse("account_login")).content.decode()
    assert (
        f'<a class="tap-link" href="{reverse("account_reset_password")}">Forgot your password?</a>'
    ) in page
    assert page.count("Forgot your password?") == 1


def test_a_made_up_reset_link_says_it_cannot_be_used_with_410(client, db):
    response = client.get("/accounts/password/reset/key/1-not-a-key/")
    assert response.status_code == 410
    page = response.content.decode()
    assert f"<title>{EXPIRED} · Between Sessions</title>" in page
    assert f">{EXPIRED}</h1>" in page
    assert "Bad Token" not in page
    assert "Your password hasn’t changed." in page
    assert f'href="{reverse("account_reset_password")}"' in page


def test_a_used_reset_link_says_so_with_410_and_a_fresh_one_still_works(
    client, patient, deliver_outbox
):
    client.post(reverse("account_reset_password"), {"email": patient.email})
    deliver_outbox()
    [message] = mail.outbox
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    assert "Choose a new password" in form.content.decode()
    new = "a-brand-new-passphrase-7"
    done = client.post(form.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert done.status_code == 302

    again = client.get(link, follow=True)
    assert again.status_code == 410
    assert EXPIRED in again.content.decode()


def test_a_bad_email_confirmation_link_says_so_with_410(client, patient):
    response = client.get("/accounts/confirm-email/not-a-key/")
    assert response.status_code == 410
    page = response.content.decode()
    assert f">{EXPIRED}</h1>" in page
    assert "Your email address isn’t confirmed yet." in page


def test_a_good_email_confirmation_link_still_asks_to_confirm(client, patient):
    address, _ = EmailAddress.objects.update_or_create(
        user=patient, email=patient.email, defaults={"verified": False}
    )
    key = EmailConfirmationHMAC(address).key
    response = client.get(reverse("account_confirm_email", args=[key]))
    assert response.status_code == 200
    assert "Confirm your email address" in response.content.decode()


@pytest.mark.parametrize(
    ("url_name", "labels"),
    [
        ("account_change_password", ["Current password", "New password", "New password again"]),
    ],
)
def test_password_labels_are_in_sentence_case(client, patient, url_name, labels):
    client.force_login(patient)
    page = client.get(reverse(url_name)).content.decode()
    for label in labels:
        assert re.search(rf"<label[^>]*>\s*{label}(<span[^>]*>\*</span>)?\s*</label>", page)
    assert "placeholder=" not in page


def test_signing_out_is_a_post_form_in_plain_words(client, patient):
    client.force_login(patient)
    page = client.get(reverse("account_logout")).content.decode()
    assert "Sign out of Between Sessions on this device?" in page
    assert client.post(reverse("account_logout")).status_code == 302
    assert client.get(reverse("prep:patient_home")).status_code == 302


def test_the_sign_in_page_still_signs_in(client, patient):
    response = client.post(reverse("account_login"), {"login": patient.email, "password": PASSWORD})
    assert response.status_code == 302
