from django.shortcuts import render

from accounts.access import patient_required, patients_of, therapist_required, therapists_of
from accounts.models import Invitation
from journal import measures, safety
from journal.models import DailyEntry


@patient_required
def patient_home(request):
    patient = request.user
    today = patient.today()
    return render(
        request,
        "prep/patient_home.html",
        {
            "today": today,
            "todays_entry": DailyEntry.objects.filter(patient=patient, day=today)
            .only("pk", "mood")
            .first(),
            "measures_due": measures.next_due(patient),
            "therapists": therapists_of(patient).order_by("last_name", "first_name"),
        },
    )


@therapist_required
def therapist_dashboard(request):
    return render(
        request,
        "prep/therapist_dashboard.html",
        {
            "safety_alerts": list(safety.open_alerts_for(request.user)),
            "patient_count": patients_of(request.user).count(),
            "pending_invitations": Invitation.objects.filter(
                therapist=request.user, accepted_at=None, revoked_at=None
            ).count(),
        },
    )
