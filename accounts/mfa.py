"""Two-factor sign-in for staff: not only set up, but used in this session.

allauth records each way a session authenticated (password, mfa) in the session;
a staff session counts as verified once it holds an "mfa" record. Setting up an
authenticator proves the code too, so that counts as well. A session signed in any
other way (a password alone, through any door) is sent back to sign in.
"""

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


@receiver(authenticator_added, dispatch_uid="accounts.setup_counts_as_verified")
def setting_up_counts_as_verified(sender, request, user, authenticator, **kwargs) -> None:
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
