"""Invitations: how a patient comes into a therapist's care, and how a therapist
joins the practice (a practice manager invites them).

A therapist (or manager) invites an address; the email carries a link whose token is the
invitation's id, signed and time-stamped with Django's signing module. The link
works once (accepting stamps `accepted_at` with a conditional update, so two tabs
racing cannot both use it) and expires after settings.INVITATION_MAX_AGE.
"""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .models import CareLink, Invitation, User
from .signals import invitation_sent, patient_joined

TOKEN_SALT = "accounts.invitation"  # noqa: S105 (a signing namespace, not a secret)


class InvitationError(Exception):
    """Why a link cannot be used; `reason` picks the page the visitor sees."""

    def __init__(self, reason: str, invitation: Invitation | None = None):
        super().__init__(reason)
        self.reason = reason
        self.invitation = invitation


def make_token(invitation: Invitation) -> str:
    return signing.dumps(invitation.pk, salt=TOKEN_SALT)


def resolve(token: str) -> Invitation:
    """The pending invitation a token stands for, or InvitationError."""
    try:
        pk = signing.loads(token, salt=TOKEN_SALT, max_age=settings.INVITATION_MAX_AGE)
    except signing.SignatureExpired:
        raise InvitationError("expired") from None
    except signing.BadSignature:
        raise InvitationError("invalid") from None
    invitation = (
        Invitation.objects.select_related("therapist").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )
    if invitation is None:
        raise InvitationError("invalid")
    if invitation.revoked_at:
        raise InvitationError("revoked", invitation)
    if invitation.accepted_at:
        raise InvitationError("used", invitation)
    return invitation


def accept_path(invitation: Invitation) -> str:
    return reverse("accounts:accept_invitation", args=[make_token(invitation)])


@transaction.atomic
def invite(therapist: User, email: str, first_name: str = "") -> Invitation:
    """A pending invitation from this therapist to this address, new or renewed, and
    its email in the outbox (written by the receiver in the same transaction)."""
    return _invite(therapist, email, first_name, Invitation.Role.PATIENT)


@transaction.atomic
def invite_therapist(manager: User, email: str, first_name: str = "") -> Invitation:
    """A practice manager's invitation for a new therapist to join, new or renewed,
    and its email in the outbox."""
    if not manager.is_manager:
        raise PermissionError("Only a practice manager invites therapists.")
    return _invite(manager, email, first_name, Invitation.Role.THERAPIST)


def _invite(sender: User, email: str, first_name: str, role: str) -> Invitation:
    email = User.objects.normalize_email(email)
    invitation = (
        Invitation.objects.select_for_update()
        .filter(therapist=sender, email=email, role=role, accepted_at=None, revoked_at=None)
        .first()
    )
    if invitation:
        invitation.sent_at = timezone.now()
        invitation.first_name = first_name or invitation.first_name
        invitation.save(update_fields=["sent_at", "first_name"])
    else:
        invitation = Invitation.objects.create(
            therapist=sender, email=email, first_name=first_name, role=role
        )
    invitation_sent.send(sender=Invitation, invitation=invitation)
    return invitation


def _claim(invitation: Invitation, person: User) -> None:
    """Stamp the invitation used by this person; each invitation works once."""
    claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(
        accepted_at=timezone.now(), accepted_by=person
    )
    if not claimed:
        raise InvitationError("used", invitation)


def _verify_address(person: User) -> None:
    # Opening the emailed link proves the person owns the address.
    EmailAddress.objects.update_or_create(
        user=person,
        email=person.email,
        defaults={"verified": True, "primary": True},
    )


@transaction.atomic
def accept(invitation: Invitation, patient: User) -> CareLink:
    """Bring the patient into the therapist's care; each invitation works once."""
    if invitation.role != Invitation.Role.PATIENT:
        raise InvitationError("invalid", invitation)
    _claim(invitation, patient)
    link, created = CareLink.objects.get_or_create(therapist=invitation.therapist, patient=patient)
    if not created and link.ended_at:
        link.ended_at = None
        link.started_at = timezone.now()
        # Care starting again asks again about the sessions they kept meanwhile.
        link.history_decided_at = link.history_brought = link.history_sessions_moved = None
        link.save(
            update_fields=[
                "ended_at",
                "started_at",
                "history_decided_at",
                "history_brought",
                "history_sessions_moved",
            ]
        )
    _verify_address(patient)
    return link


@transaction.atomic
def accept_as_new_patient(invitation: Invitation, **details) -> User:
    patient = User.objects.create_user(email=invitation.email, role=User.Role.PATIENT, **details)
    accept(invitation, patient)
    patient_joined.send(sender=User, patient=patient)
    return patient


@transaction.atomic
def accept_as_new_therapist(invitation: Invitation, **details) -> User:
    """A therapist account for the invited address, with no patients: they come
    later, each by the therapist's own invitation."""
    if invitation.role != Invitation.Role.THERAPIST:
        raise InvitationError("invalid", invitation)
    therapist = User.objects.create_user(
        email=invitation.email, role=User.Role.THERAPIST, **details
    )
    _claim(invitation, therapist)
    _verify_address(therapist)
    return therapist


def revoke(invitation: Invitation) -> bool:
    """Withdraw a pending invitation; its link stops working at once."""
    return bool(
        Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(
            revoked_at=timezone.now()
        )
    )
