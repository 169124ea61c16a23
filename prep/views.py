from django.shortcuts import render

from accounts.access import patient_required, patients_of, therapist_required, therapists_of
from accounts.models import Invitation


@patient_required
def patient_home(request):
    return render(
        request,
        "prep/patient_home.html",
        {"therapists": therapists_of(request.user).order_by("last_name", "first_name")},
    )


@therapist_required
def therapist_dashboard(request):
    return render(
        request,
        "prep/therapist_dashboard.html",
        {
            "patient_count": patients_of(request.user).count(),
            "pending_invitations": Invitation.objects.filter(
                therapist=request.user, accepted_at=None, revoked_at=None
            ).count(),
        },
    )
