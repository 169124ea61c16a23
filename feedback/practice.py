"""The practice manager's view: per-therapist counts only, never a patient's words
(a manager sees feedback only when a patient escalates it)."""

from datetime import timedelta

from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import User

from .models import Escalation

# An alert counts as answered promptly when acknowledged within this long.
PROMPT_ACKNOWLEDGEMENT = timedelta(days=7)


def therapists_with_counts():
    return (
        User.objects.filter(role=User.Role.THERAPIST, is_active=True)
        .annotate(
            patient_count=Count(
                "patient_links", filter=Q(patient_links__ended_at__isnull=True), distinct=True
            ),
            feedback_count=Count("feedback_received", distinct=True),
            alert_count=Count("feedback_received__alert", distinct=True),
            acknowledged_in_week=Count(
                "feedback_received__alert",
                filter=Q(
                    feedback_received__alert__acknowledged_at__lte=F(
                        "feedback_received__alert__created_at"
                    )
                    + PROMPT_ACKNOWLEDGEMENT
                ),
                distinct=True,
            ),
        )
        .order_by("last_name", "first_name")
    )


def escalations():
    """Open ones first, then the most recent."""
    return Escalation.objects.select_related(
        "feedback__patient", "feedback__therapist", "handled_by"
    ).order_by("handled_at", "-created_at")


def mark_handled(escalation: Escalation, by) -> bool:
    return bool(
        Escalation.objects.filter(pk=escalation.pk, handled_at=None).update(
            handled_at=timezone.now(), handled_by=by
        )
    )
