from django.db.models import Count, Q
from django.shortcuts import render

from accounts.access import manager_required
from accounts.models import User


@manager_required
def practice_home(request):
    # Aggregates only: a practice manager never sees a patient's own records.
    therapists = (
        User.objects.filter(role=User.Role.THERAPIST, is_active=True)
        .annotate(
            patient_count=Count(
                "patient_links", filter=Q(patient_links__ended_at__isnull=True), distinct=True
            )
        )
        .order_by("last_name", "first_name")
    )
    return render(request, "feedback/practice_home.html", {"therapists": therapists})
