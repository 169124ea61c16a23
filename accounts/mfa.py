"""Two-factor sign-in for staff: not only set up, but used in this session.

allauth records each way a session authenticated (password, mfa) in the session;
a staff session counts as verified once it holds an "mfa" record. Setting up an
authenticator proves the code too, so that counts as well. A session signed in any
other way (a password alone, through any door) is sent back to sign in.
"""

import time

from allauth.account import app_settings as allauth_account_settings
from allauth.account.internal.flows.login import (
    get_authentication_records,
    record_authentication,
)
from allauth.mfa.signals import authenticator_added
from django.dispatch import receiver


def must_use_mfa(user) -> bool:
    """Everyone who can see more than their own journal, and anyone with the admin."""
    return user.is_clinical_staff or user.is_staff or user.is_superuser


def session_passed_mfa(request) -> bool:
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def record_new_account_sign_in(request, user) -> None:
    """A person who has just chosen their password (an invitation's account form)
    is signed in by the app, not by allauth's sign-in form: record it the way that
    form would, so the sign-in counts as a fresh one (signed_in_recently)."""
    record_authentication(request, user, "password", email=user.email, new_account=True)


def signed_in_recently(request) -> bool:
    """This session proved its password (or a code) within the reauthentication
    window (ACCOUNT_REAUTHENTICATION_TIMEOUT, 5 minutes): as fresh as allauth's own
    "confirm it's you", which an older sign-in still has to pass."""
    if not request.user.is_authenticated:
        return False
    timeout = allauth_account_settings.REAUTHENTICATION_TIMEOUT
    return any(
        record.get("method") in ("password", "mfa") and time.time() - record.get("at", 0) < timeout
        for record in get_authentication_records(request, request.user)
    )


@receiver(authenticator_added, dispatch_uid="accounts.setup_counts_as_verified")
def setting_up_counts_as_verified(sender, request, user, authenticator, **kwargs) -> None:
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
