"""The invitation email: accounts announces an invitation (accounts/signals.py) and
it is written into the outbox here, in the same transaction."""

from django.dispatch import receiver
from django.utils import timezone

from accounts import invitations
from accounts.models import Invitation
from accounts.signals import invitation_sent

from .compose import compose
from .kinds import register
from .links import site_url
from .outbox import enqueue


def _invitation(message) -> Invitation | None:
    return Invitation.objects.select_related("therapist").filter(pk=message.target_id).first()


def render(message):
    invitation = _invitation(message)
    # No account yet, so no zone of their own: the inviting therapist's.
    with timezone.override(invitation.therapist.zone):
        return compose(
            message,
            "invitation",
            {
                "therapist_name": invitation.therapist.display_name,
                "first_name": invitation.first_name,
                "accept_url": site_url(invitations.accept_path(invitation)),
                "expires_at": invitation.expires_at,
            },
            to=[invitation.email],
        )


def still_wanted(message) -> bool:
    invitation = _invitation(message)
    return invitation is not None and invitation.is_pending and not invitation.is_expired


INVITATION = register("invitation", label="Invitation", render=render, still_wanted=still_wanted)


@receiver(invitation_sent, dispatch_uid="notifications.invitation")
def queue_invitation(sender, invitation: Invitation, **kwargs) -> None:
    enqueue(INVITATION, target_id=invitation.pk)
