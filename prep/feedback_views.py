"""Giving feedback after a session: prep knows the appointment, feedback keeps the
answer (feedback/records.py)."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from accounts.access import patient_required
from feedback import records
from feedback.forms import FeedbackForm

from .models import AgendaItem, Appointment

RELATIONSHIP_AGENDA = "I’d like to talk about how our sessions are going"


@patient_required
def give_feedback(request, appointment_id: int):
    appointment = get_object_or_404(
        Appointment.objects.select_related("therapist"),
        pk=appointment_id,
        patient=request.user,
    )
    if not appointment.was_attended:
        raise Http404("Feedback is for sessions that took place.")
    existing = records.for_session(request.user, appointment.pk)
    if existing and not existing.is_editable:
        return render(
            request, "prep/feedback/closed.html", {"feedback": existing, "appointment": appointment}
        )
    form = FeedbackForm(request.POST or None, instance=existing)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            feedback = records.save(
                form,
                patient=request.user,
                therapist=appointment.therapist,
                appointment_id=appointment.pk,
                session_at=appointment.starts_at,
            )
            open_items = AgendaItem.objects.filter(patient=request.user, done_at=None)
            # Text is encrypted, so the check for an existing line is made in Python.
            if (
                feedback.discuss_next_time
                and feedback.therapist_sees_scores
                and all(item.text != RELATIONSHIP_AGENDA for item in open_items)
            ):
                AgendaItem.objects.create(patient=request.user, text=RELATIONSHIP_AGENDA)
        messages.success(request, "Thank you. Your feedback is saved.")
        return redirect("feedback:mine")
    return render(
        request,
        "prep/feedback/form.html",
        {"form": form, "appointment": appointment, "existing": existing},
        status=400 if form.errors else 200,
    )
