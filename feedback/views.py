"""Relationship feedback: the patient gives it after a session and sees their own;
the therapist reads what is shared and acknowledges alerts; the practice manager
sees counts and escalations. The rules live in records.py, alerts.py and practice.py."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import audit
from accounts.access import (
    get_patient_for_therapist,
    manager_required,
    patient_required,
    therapist_required,
    therapists_of,
)
from appointments.models import Appointment
from core import charts
from core.submissions import one_submission

from . import alerts, emails, practice, records
from .forms import FeedbackForm, ReplyForm
from .models import AllianceAlert, Escalation, SessionFeedback
from .questions import QUESTIONS, RATINGS, SHORT_LABELS


def ratings_chart(
    chart_id: str,
    feedback: list[SessionFeedback],
    zone,
    title: str = "Relationship ratings by session (0 to 10)",
) -> dict:
    """The four ratings by session, one small chart each (four lines on one chart
    would hide each other); nothing for fewer than two sessions. A question left
    unanswered is a gap in its line, never a value; `unanswered` counts those gaps.
    The feedback is about one therapist: a line joins ratings of one relationship only."""
    if len(feedback) < 2:
        return {}
    days = [f.session_at.astimezone(zone).date() for f in feedback]
    lines = [
        charts.Series(
            SHORT_LABELS[name],
            charts.PALETTE[index],
            [(day, getattr(f, name)) for day, f in zip(days, feedback, strict=True)],
        )
        for index, name in enumerate(RATINGS)
    ]
    panels = [charts.Panel(line.name, [line]) for line in lines]
    return {
        "svg": charts.small_multiples(chart_id, panels, days[0], days[-1], 10, title=title),
        "unanswered": sum(value is None for line in lines for _, value in line.points),
    }


def ratings_charts_by_therapist(chart_id: str, feedback: list[SessionFeedback], zone) -> list:
    """One ratings chart per therapist, titled with their name, the most recently
    seen first: ratings about two therapists are two relationships, never one line.
    `feedback` is in session order with each therapist already loaded."""
    by_therapist: dict[int, list[SessionFeedback]] = {}
    for item in feedback:
        by_therapist.setdefault(item.therapist_id, []).append(item)
    groups = sorted(by_therapist.values(), key=lambda items: items[-1].session_at, reverse=True)
    charted = []
    for items in groups:
        therapist = items[0].therapist
        if therapist is None:
            continue
        chart = ratings_chart(
            f"{chart_id}-{therapist.pk}",
            items,
            zone,
            f"Your ratings of sessions with {therapist.display_name} (0 to 10)",
        )
        if chart:
            charted.append({"therapist": therapist, **chart})
    return charted


def saved_message(saved: records.Saved) -> tuple[int, str]:
    """What the patient is told after saving: that it is saved, who sees it, and
    whether it reached a practice manager, only as far as each is true."""
    feedback = saved.feedback
    therapist = feedback.therapist.display_name if feedback.therapist_id else "Your therapist"
    if feedback.visibility == SessionFeedback.Visibility.SHARED:
        parts = [f"Thank you. Your feedback is saved and shared with {therapist}."]
    elif feedback.visibility == SessionFeedback.Visibility.SCORES_ONLY:
        parts = [f"Thank you. Your feedback is saved. {therapist} sees your ratings only."]
    else:
        parts = [f"Thank you. Your feedback is saved and private: {therapist} does not see it."]
    if saved.escalation is None:
        return messages.SUCCESS, " ".join(parts)
    if not saved.managers_emailed:
        parts.append(
            "It was not sent to a practice manager: none is set up here yet. "
            "Please contact your practice directly."
        )
        return messages.WARNING, " ".join(parts)
    sent = saved.escalation.created_at.astimezone(feedback.patient.zone)
    parts.append(
        f"It was sent to the practice manager on {sent:%a} {sent.day} {sent:%b} at {sent:%H:%M}."
    )
    if not saved.escalation.therapist_may_know:
        parts.append(f"{therapist} is not told about it.")
    return messages.SUCCESS, " ".join(parts)


@patient_required
@one_submission
def give_feedback(request, appointment_id: int):
    appointment = get_object_or_404(
        Appointment.objects.select_related("therapist"),
        pk=appointment_id,
        patient=request.user,
    )
    if appointment.is_own:
        return _no_therapist_on_app(request, appointment)
    if not appointment.was_attended:
        raise Http404("Feedback is for sessions that took place.")
    existing = records.for_session(request.user, appointment)
    if existing and not existing.is_editable:
        return render(
            request, "feedback/closed.html", {"feedback": existing, "appointment": appointment}
        )
    form = FeedbackForm(request.POST or None, instance=existing)
    if request.method == "POST" and form.is_valid():
        try:
            saved = records.save(form, patient=request.user, appointment=appointment)
        except records.NoTherapistOnApp:
            return _no_therapist_on_app(request, appointment)
        except records.FeedbackClosed:
            return render(
                request,
                "feedback/closed.html",
                {"feedback": existing, "appointment": appointment},
                status=409,
            )
        messages.add_message(request, *saved_message(saved))
        return redirect("feedback:mine")
    return render(
        request,
        "feedback/form.html",
        {"form": form, "appointment": appointment, "existing": existing},
        status=400 if form.errors else 200,
    )


def _no_therapist_on_app(request, appointment: Appointment):
    """The patient's own session: said plainly, with no form that would promise an
    alert, a reply or a practice manager. A form posted anyway saves nothing."""
    return render(
        request,
        "feedback/own_session.html",
        {"appointment": appointment},
        status=409 if request.method == "POST" else 200,
    )


@patient_required
def mine(request):
    feedback = list(
        SessionFeedback.objects.filter(patient=request.user)
        .select_related("therapist", "alert", "escalation")
        .annotate(escalation_sent=emails.manager_emailed())
        .order_by("session_at")
    )
    return render(
        request,
        "feedback/mine.html",
        {
            "feedback": list(reversed(feedback)),
            "charts": ratings_charts_by_therapist("my-ratings", feedback, request.user.zone),
            "questions": QUESTIONS,
            "no_therapist_on_app": not therapists_of(request.user).exists(),
        },
    )


def _alert_for_therapist(therapist, alert_id: int) -> AllianceAlert:
    return get_object_or_404(
        alerts.open_and_read_for(therapist).select_related("feedback__patient"),
        pk=alert_id,
    )


@therapist_required
def alert_detail(request, alert_id: int):
    alert = _alert_for_therapist(request.user, alert_id)
    audit.record(request.user, alert.feedback.patient, audit.Kind.ALLIANCE_ALERT, alert.pk)
    form = ReplyForm(request.POST or None, instance=alert)
    if request.method == "POST" and form.is_valid():
        alerts.acknowledge(alert, form.cleaned_data["reply"])
        messages.success(request, "Marked as read. The patient can see that, and your reply.")
        return redirect("home")
    return render(
        request,
        "feedback/alert.html",
        {"alert": alert, "feedback": alert.feedback, "form": form, "questions": QUESTIONS},
        status=400 if form.errors else 200,
    )


@therapist_required
def patient_feedback(request, patient_id: int):
    patient = get_patient_for_therapist(request.user, patient_id)
    audit.record(request.user, patient, audit.Kind.FEEDBACK)
    feedback = list(
        records.visible_to_therapist(request.user, patient)
        .select_related("alert", "escalation")
        .order_by("session_at")
    )
    return render(
        request,
        "feedback/patient.html",
        {
            "patient": patient,
            "feedback": list(reversed(feedback)),
            "chart": ratings_chart("patient-ratings", feedback, request.user.zone),
            "questions": QUESTIONS,
        },
    )


@manager_required
def practice_home(request):
    page = Paginator(practice.escalations(), practice.ESCALATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    # Each escalation shown is a patient's words read by the manager.
    audit.record_many(
        request.user,
        audit.Kind.ESCALATION,
        ((escalation.feedback.patient, escalation.pk) for escalation in page),
    )
    return render(
        request,
        "feedback/practice_home.html",
        {
            "therapists": practice.therapists_with_counts(),
            "escalations": practice.shown(page),
            "page": page,
        },
    )


@require_POST
@manager_required
def escalation_handled(request, escalation_id: int):
    escalation = get_object_or_404(Escalation, pk=escalation_id)
    practice.mark_handled(escalation, by=request.user)
    messages.success(request, "Marked as handled.")
    return redirect("feedback:practice_home")
