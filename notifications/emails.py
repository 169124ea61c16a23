"""The invitation emails: accounts announces an invitation (accounts/signals.py) and
it is written into the outbox here, in the same transaction. A therapist's
invitation to a patient and a practice manager's invitation to a new therapist are
two kinds, each worded for the person it reaches."""

from django.db.models import Exists, OuterRef
from django.dispatch import receiver
from django.utils import timezone

from accounts import invitations
from accounts.models import Invitation, User
from accounts.signals import invitation_sent

from .compose import compose
from .kinds import by_target, register
from .links import site_url
from .outbox import enqueue


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
