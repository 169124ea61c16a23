"""The practice manager's view: per-therapist counts only, never a patient's words
(a manager sees feedback only when a patient escalates it)."""

from datetime import timedelta

from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import CareLink, User

from .models import AllianceAlert, Escalation, SessionFeedback

# An alert counts as answered promptly when acknowledged within this long.
PROMPT_ACKNOWLEDGEMENT = timedelta(days=7)
# Escalations shown on one page (each is a patient's words, recorded as read).
ESCALATIONS_PER_PAGE = 25
# Open ones (not handled) first, then the most recently handled; newest first within each.
ESCALATION_ORDER = (F("handled_at").desc(nulls_first=True), F("created_at").desc())


def therapists_with_counts():
    """Every active therapist with their counts. Each count is its own subquery on
    one table, read from that table's therapist index: joining the tables would
    multiply the rows (care links times feedback times alerts) before counting."""
    return (
        User.objects.filter(role=User.Role.THERAPIST, is_active=True)
        .annotate(
            patient_count=_count(CareLink.objects.active()),
            feedback_count=_count(SessionFeedback.objects.all()),
            alert_count=_count(AllianceAlert.objects.all()),
            acknowledged_in_week=_count(
                AllianceAlert.objects.filter(
                    acknowledged_at__lte=F("created_at") + PROMPT_ACKNOWLEDGEMENT
                )
            ),
        )
        .order_by("last_name", "first_name")
    )


def _count(rows):
    """How many of `rows` belong to the therapist of the outer query."""
    return Coalesce(
        Subquery(
            rows.filter(therapist=OuterRef("pk"))
            .order_by()
            .values("therapist")
            .annotate(count=Count("*"))
            .values("count")
        ),
        0,
    )


def escalations():
    """In ESCALATION_ORDER, which an index keeps, so a page reads only its own rows."""
    return Escalation.objects.select_related(
        "feedback__patient", "feedback__therapist", "handled_by"
    ).order_by(*ESCALATION_ORDER)


def mark_handled(escalation: Escalation, by) -> bool:
    return bool(
        Escalation.objects.filter(pk=escalation.pk, handled_at=None).update(
            handled_at=timezone.now(), handled_by=by
        )
    )
