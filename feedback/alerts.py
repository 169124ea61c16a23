"""When relationship feedback asks for the therapist's attention.

Only what the patient answered counts; a question left unanswered is no score at
all. An alert is raised when any answered rating is at or below
ALLIANCE_ALERT_ITEM_MAX (6), the mean of the answered ratings is under
ALLIANCE_ALERT_MEAN_BELOW (9), or that mean falls by ALLIANCE_ALERT_DROP (2) or more
from the patient's own running mean: the mean of their previous three feedbacks'
answered means. Each reason says how many answers it rests on. Only feedback whose
scores the patient shares can raise one: a private answer never reaches the
therapist, not even as a flag. The therapist is emailed that there is feedback to
read, never what it says.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.access import cared_for_by

from . import emails
from .models import RATINGS, AllianceAlert, SessionFeedback
from .questions import SHORT_LABELS

# How many earlier feedbacks make "the usual".
RUNNING_OVER = 3


def reasons_for(feedback: SessionFeedback) -> list[str]:
    answers = feedback.answers
    if not answers:
        return []
    reasons = [
        f"{SHORT_LABELS[name]} rated {value}"
        for name, value in answers.items()
        if value <= settings.ALLIANCE_ALERT_ITEM_MAX
    ]
    mean, answered = feedback.mean, feedback.answered_text
    if mean < settings.ALLIANCE_ALERT_MEAN_BELOW:
        reasons.append(f"Average {mean:.1f} out of 10 ({answered})")
    previous = previous_means(feedback)
    if previous:
        running = sum(previous) / len(previous)
        if running - mean >= settings.ALLIANCE_ALERT_DROP:
            usual = (
                f"{running:.1f} last time"
                if len(previous) == 1
                else f"{running:.1f}, the average of the last {len(previous)} sessions"
            )
            reasons.append(f"Down {running - mean:.1f} from {usual} ({answered})")
    return reasons


def previous_means(feedback: SessionFeedback) -> list[float]:
    """The answered means of the patient's previous three feedbacks to this
    therapist (whose scores they share), latest first."""
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
        .only(*RATINGS)[:RUNNING_OVER]
    )
    # Every stored feedback has at least one answer (a database check), so each has a mean.
    return [item.mean for item in previous if item.mean is not None]


def running_mean(feedback: SessionFeedback) -> float | None:
    """The mean of the previous three feedbacks' answered means; None without any."""
    means = previous_means(feedback)
    return sum(means) / len(means) if means else None


@transaction.atomic
def evaluate(feedback: SessionFeedback, *, notify: bool = True) -> AllianceAlert | None:
    """Raise, update or withdraw the alert after feedback is saved or edited. An
    acknowledged alert stays as it was: it is part of the history. A new alert's
    email to the therapist goes into the outbox with it (unless `notify` is off:
    the demo's history)."""
    alert = AllianceAlert.objects.filter(feedback=feedback).first()
    # Nobody to alert without a therapist on the app.
    shared = feedback.therapist_id is not None and feedback.therapist_sees_scores
    reasons = reasons_for(feedback) if shared else []
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
