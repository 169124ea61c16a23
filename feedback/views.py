from datetime import timedelta

from django.contrib import messages
from django.db.models import Count, F, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import charts
from accounts.access import (
    get_patient_for_therapist,
    manager_required,
    patient_required,
    therapist_required,
)
from accounts.models import User

from . import alerts, records
from .forms import QUESTIONS, ReplyForm
from .models import RATINGS, AllianceAlert, Escalation, SessionFeedback

COLOURS = {"bond": "#2f6f73", "goals": "#d19a2a", "approach": "#5467a8", "overall": "#c4512f"}


def ratings_chart(chart_id: str, feedback: list[SessionFeedback], zone) -> str:
    if len(feedback) < 2:
        return ""
    days = [f.session_at.astimezone(zone).date() for f in feedback]
    return charts.line_chart(
        chart_id,
        "Relationship ratings by session (0 to 10)",
        [
            charts.Series(
                QUESTIONS[name],
                COLOURS[name],
                [(day, getattr(f, name)) for day, f in zip(days, feedback, strict=True)],
            )
            for name in RATINGS
        ],
        days[0],
        days[-1],
        10,
    )


@patient_required
def mine(request):
    feedback = list(
        SessionFeedback.objects.filter(patient=request.user)
        .select_related("therapist", "alert")
        .order_by("session_at")
    )
    return render(
        request,
        "feedback/mine.html",
        {
            "feedback": list(reversed(feedback)),
            "chart": ratings_chart("my-ratings", feedback, request.user.zone),
            "questions": QUESTIONS,
            "colours": COLOURS,
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
    form = ReplyForm(request.POST or None, instance=alert)
    if request.method == "POST" and form.is_valid():
        alert = form.save(commit=False)
        alert.acknowledged_at = alert.acknowledged_at or timezone.now()
        alert.save(update_fields=["reply", "acknowledged_at"])
        messages.success(request, "Marked as read. The patient can see that, and your reply.")
        return redirect("prep:therapist_dashboard")
    return render(
        request,
        "feedback/alert.html",
        {"alert": alert, "feedback": alert.feedback, "form": form, "questions": QUESTIONS},
        status=400 if form.errors else 200,
    )


@therapist_required
def patient_feedback(request, patient_id: int):
    patient = get_patient_for_therapist(request.user, patient_id)
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
            "colours": COLOURS,
        },
    )


@manager_required
def practice_home(request):
    # Aggregates and escalations only: a practice manager never sees a patient's
    # journal, and sees feedback only when a patient escalates it.
    therapists = (
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
                    + timedelta(days=7)
                ),
                distinct=True,
            ),
        )
        .order_by("last_name", "first_name")
    )
    escalations = Escalation.objects.select_related(
        "feedback__patient", "feedback__therapist", "handled_by"
    ).order_by("handled_at", "-created_at")
    return render(
        request,
        "feedback/practice_home.html",
        {"therapists": therapists, "escalations": escalations[:100], "questions": QUESTIONS},
    )


@require_POST
@manager_required
def escalation_handled(request, escalation_id: int):
    Escalation.objects.filter(pk=escalation_id, handled_at=None).update(
        handled_at=timezone.now(), handled_by=request.user
    )
    get_object_or_404(Escalation, pk=escalation_id)
    messages.success(request, "Marked as handled.")
    return redirect("feedback:practice_home")
