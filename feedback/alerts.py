"""When relationship feedback asks for the therapist's attention.

An alert is raised when any rating is at or below ALLIANCE_ALERT_ITEM_MAX (6), the
mean of the four is under ALLIANCE_ALERT_MEAN_BELOW (9), or the mean falls by
ALLIANCE_ALERT_DROP (2) or more from the patient's own running mean of their
previous three. Only feedback whose scores the patient shares can raise one: a
private answer never reaches the therapist, not even as a flag. The therapist is
emailed that there is feedback to read, never what it says.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.access import cared_for_by

from . import emails
from .models import RATINGS, AllianceAlert, SessionFeedback
from .questions import SHORT_LABELS


def reasons_for(feedback: SessionFeedback) -> list[str]:
    reasons = [
        f"{SHORT_LABELS[name]} rated {getattr(feedback, name)}"
        for name in RATINGS
        if getattr(feedback, name) <= settings.ALLIANCE_ALERT_ITEM_MAX
    ]
    if feedback.mean < settings.ALLIANCE_ALERT_MEAN_BELOW:
        reasons.append(f"Average {feedback.mean:.1f} out of 10")
    running = running_mean(feedback)
    if running is not None and running - feedback.mean >= settings.ALLIANCE_ALERT_DROP:
        reasons.append(f"Down {running - feedback.mean:.1f} from the usual {running:.1f}")
    return reasons


def running_mean(feedback: SessionFeedback) -> float | None:
    """The mean of the patient's previous three feedbacks to this therapist."""
    previous = (
        SessionFeedback.objects.filter(
            patient_id=feedback.patient_id,
            therapist_id=feedback.therapist_id,
            session_at__lt=feedback.session_at,
        )
        .exclude(pk=feedback.pk)
        # A private answer never shapes what the therapist is told.
        .exclude(visibility=SessionFeedback.Visibility.PRIVATE)
        .order_by("-session_at")
        .annotate(item_mean=(F("bond") + F("goals") + F("approach") + F("overall")) / 4.0)
        .values_list("item_mean", flat=True)[:3]
    )
    values = list(previous)
    return sum(values) / len(values) if values else None


@transaction.atomic
def evaluate(feedback: SessionFeedback, *, notify: bool = True) -> AllianceAlert | None:
    """Raise, update or withdraw the alert after feedback is saved or edited. An
    acknowledged alert stays as it was: it is part of the history. A new alert's
    email to the therapist goes into the outbox with it (unless `notify` is off:
    the demo's history)."""
    alert = AllianceAlert.objects.filter(feedback=feedback).first()
    reasons = reasons_for(feedback) if feedback.therapist_sees_scores else []
    if alert and alert.acknowledged_at:
        return alert
    if not reasons:
        if alert:
            alert.delete()
        return None
    if alert:
        alert.reasons = reasons
        alert.save(update_fields=["reasons"])
        return alert
    alert = AllianceAlert.objects.create(feedback=feedback, reasons=reasons)
    if notify:
        emails.plan_alliance_alert(alert)
    return alert


def open_and_read_for(therapist):
    """Every alert this therapist may see: on feedback whose scores the patient
    shares, from patients still in their care."""
    return AllianceAlert.objects.filter(
        cared_for_by(therapist, "feedback__patient"),
        feedback__therapist=therapist,
        feedback__visibility__in=(
            SessionFeedback.Visibility.SHARED,
            SessionFeedback.Visibility.SCORES_ONLY,
        ),
    )


def open_alerts_for(therapist):
    return (
        open_and_read_for(therapist)
        .filter(acknowledged_at=None)
        .select_related("feedback__patient")
        .order_by("-created_at")
    )


@transaction.atomic
def acknowledge(alert: AllianceAlert, reply: str) -> AllianceAlert:
    """The therapist has read it, with an optional reply; the patient sees both. The
    first acknowledgement's time is kept, a later reply replaces the earlier one."""
    alert.reply = reply
    alert.acknowledged_at = alert.acknowledged_at or timezone.now()
    alert.save(update_fields=["reply", "acknowledged_at"])
    return alert
