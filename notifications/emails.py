"""The emails accounts asks for: accounts announces them (accounts/signals.py) and
they are written into the outbox here, in the same transaction, because accounts
cannot import the outbox (notifications builds on accounts).

- Invitations: a therapist's to a patient and a practice manager's to a new
  therapist are two kinds, each worded for the person it reaches.
- allauth's own emails (confirming an address, resetting a password, "you already
  have an account"): accounts/adapters.py queues only what each is about; the link,
  which holds a secret, is made here at send time, so no key is stored in the outbox.
"""

from datetime import timedelta

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.db.models import Exists, OuterRef
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from accounts import invitations, signals
from accounts.models import Invitation, User
from accounts.signals import account_email_wanted, invitation_sent

from .compose import compose
from .kinds import by_target, register
from .links import site_url
from .outbox import enqueue
from .tasks import dispatch_soon


def _invitation(message) -> Invitation | None:
    """The invitation, knowing whether its address has an account (loaded for a
    whole batch)."""
    return message.target


def render(message):
    return _render(message, "invitation")


def render_for_therapist(message):
    return _render(message, "invitation_therapist")


def _render(message, template: str):
    invitation = _invitation(message)
    # No account yet, so no zone of their own: the sender's.
    with timezone.override(invitation.therapist.zone):
        return compose(
            message,
            template,
            {
                "therapist_name": invitation.therapist.display_name,
                "first_name": invitation.first_name,
                "accept_url": site_url(invitations.accept_path(invitation)),
                "expires_at": invitation.expires_at,
                # Checked at send time: an address that has an account by then is
                # asked to sign in and accept, not to create one.
                "has_account": invitation.has_account,
            },
            to=[invitation.email],
        )


def still_wanted(message) -> bool:
    invitation = _invitation(message)
    return invitation is not None and invitation.is_pending and not invitation.is_expired


# Both kinds are about one invitation, loaded for a whole batch at once.
_load = by_target(
    Invitation.objects.select_related("therapist").annotate(
        has_account=Exists(User.objects.filter(email=OuterRef("email")))
    )
)
INVITATION = register(
    "invitation", label="Invitation", render=render, still_wanted=still_wanted, load=_load
)
THERAPIST_INVITATION = register(
    "therapist_invitation",
    label="Invitation to join as a therapist",
    render=render_for_therapist,
    still_wanted=still_wanted,
    load=_load,
)


@receiver(invitation_sent, dispatch_uid="notifications.invitation")
def queue_invitation(sender, invitation: Invitation, **kwargs) -> None:
    kind = THERAPIST_INVITATION if invitation.role == Invitation.Role.THERAPIST else INVITATION
    enqueue(kind, target_id=invitation.pk)


# allauth's emails ------------------------------------------------------------------


def render_address_confirmation(message):
    address = message.target
    key = EmailConfirmationHMAC(address).key
    return compose(
        message,
        "confirm_address",
        {"confirm_url": site_url(reverse("account_confirm_email", args=[key]))},
        to=[address.email],
    )


def address_still_unconfirmed(message) -> bool:
    address = message.target
    return address is not None and not address.verified


def render_password_reset(message):
    user = message.target
    key = f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"
    path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
    return compose(
        message,
        "reset_password",
        {"reset_url": site_url(path.replace("UID-KEY", key))},
        to=[user.email],
    )


def render_account_exists(message):
    return compose(
        message,
        "account_exists",
        {
            "sign_in_url": site_url(reverse("account_login")),
            "reset_url": site_url(reverse("account_reset_password")),
        },
        to=[message.target.email],
    )


def account_still_active(message) -> bool:
    user = message.target
    return user is not None and user.is_active


def _reset_worth_sending_for() -> timedelta:
    # A reset asked for an hour ago and never sent is likely given up on; asking
    # again is one form away, and an old link arriving out of the blue is alarming.
    return timedelta(hours=1)


ADDRESS_CONFIRMATION = register(
    "address_confirmation",
    label="Confirm an email address",
    render=render_address_confirmation,
    still_wanted=address_still_unconfirmed,
    load=by_target(EmailAddress.objects.select_related("user")),
)
PASSWORD_RESET = register(
    "password_reset",
    label="Reset a password",
    render=render_password_reset,
    still_wanted=account_still_active,
    worth_sending_for=_reset_worth_sending_for,
    load=by_target(User.objects.all()),
)
ACCOUNT_EXISTS = register(
    "account_exists",
    label="Sign-up with an address that has an account",
    render=render_account_exists,
    still_wanted=account_still_active,
    load=by_target(User.objects.all()),
)
_ACCOUNT_KINDS = {
    signals.CONFIRM_ADDRESS: ADDRESS_CONFIRMATION,
    signals.RESET_PASSWORD: PASSWORD_RESET,
    signals.ACCOUNT_EXISTS: ACCOUNT_EXISTS,
}


@receiver(account_email_wanted, dispatch_uid="notifications.account_email")
def queue_account_email(sender, purpose: str, user: User, target_id: int, **kwargs) -> bool:
    kind = _ACCOUNT_KINDS.get(purpose)
    if kind is None:
        return False
    enqueue(kind, target_id=target_id, recipient=user)
    # Someone is waiting for it on the "check your email" page.
    dispatch_soon()
    return True
