"""Who may see what. Every view that takes an id from a URL fetches the object
through one of these helpers, which raise 404 for anyone not allowed to see it."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import CareLink, Invitation, User


def role_required(*roles: str):
    """Only signed-in people with one of these roles; everyone else gets 404, so a
    page's existence tells nothing to the wrong role."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


patient_required = role_required(User.Role.PATIENT)
therapist_required = role_required(User.Role.THERAPIST)
manager_required = role_required(User.Role.MANAGER)


def cared_for_by(therapist, path: str = "") -> Q:
    """Rows whose patient (reached through `path`, e.g. "patient" or
    "feedback__patient") is in this therapist's care now. Every therapist-facing
    query goes through this, so an ended care link closes everything at once."""
    prefix = f"{path}__" if path else ""
    return Q(
        **{
            f"{prefix}therapist_links__therapist": therapist,
            f"{prefix}therapist_links__ended_at__isnull": True,
        }
    )


def get_care_link_for_therapist(therapist: User, patient_id: int) -> CareLink:
    """This therapist's active care of this patient, with the patient loaded."""
    return get_object_or_404(
        CareLink.objects.active().select_related("patient"),
        therapist=therapist,
        patient_id=patient_id,
        patient__role=User.Role.PATIENT,
    )


def get_patient_for_therapist(therapist: User, patient_id: int) -> User:
    return get_care_link_for_therapist(therapist, patient_id).patient


def get_invitation_for_therapist(therapist: User, invitation_id: int) -> Invitation:
    return get_object_or_404(Invitation, pk=invitation_id, therapist=therapist)


def patients_of(therapist: User):
    return User.objects.filter(cared_for_by(therapist), role=User.Role.PATIENT)


def therapists_of(patient: User):
    return User.objects.filter(
        role=User.Role.THERAPIST,
        patient_links__patient=patient,
        patient_links__ended_at__isnull=True,
    )
