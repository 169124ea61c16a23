"""Booking, moving, cancelling and attendance (the therapist's), ending care (either
side's), the links in appointment emails (no sign-in needed), and the therapist's
view of the emails about their sessions. The rules live in booking.py."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import (
    get_patient_for_therapist,
    patient_required,
    therapist_required,
    therapists_of,
)
from core.submissions import one_submission
from notifications.models import Message, PracticeSettings

from . import booking, emails
from .forms import AppointmentForm, OutcomeForm
from .links import LinkError, read_action_link
from .models import Appointment


def _therapists_appointment(request, appointment_id: int) -> Appointment:
    return get_object_or_404(
        Appointment.objects.of_therapist(request.user).select_related("patient", "therapist"),
        pk=appointment_id,
    )


@therapist_required
@one_submission
def appointment_new(request):
    initial = {}
    patient = request.GET.get("patient", "")
    # A patient's id (no id is longer than 19 digits; int() refuses 4,300+).
    if patient.isascii() and patient.isdigit() and len(patient) <= 19:
        initial["patient"] = int(patient)
    return _appointment_form(request, Appointment(), initial)


@therapist_required
@one_submission
def appointment_edit(request, appointment_id: int):
    appointment = _therapists_appointment(request, appointment_id)
    if appointment.outcome or appointment.has_started:
        messages.info(request, "That session has already started or was cancelled.")
        return redirect("home")
    return _appointment_form(request, appointment, {})


def _appointment_form(request, appointment, initial):
    form = AppointmentForm(
        request.POST or None, instance=appointment, initial=initial, therapist=request.user
    )
    if request.method == "POST" and form.is_valid():
        is_new = appointment.pk is None
        try:
            saved = booking.save_booking(form.save(commit=False))
        except booking.BookingError as error:
            form.add_error(None, str(error))
        else:
            when = saved.starts_at.astimezone(request.user.zone)
            messages.success(
                request,
                f"{'Booked' if is_new else 'Moved to'} {when:%A} {when.day} {when:%B}, "
                f"{when:%H:%M} with {saved.patient.display_name}.",
            )
            return redirect("home")
    return render(
        request,
        "appointments/appointment_form.html",
        {"form": form, "appointment": appointment},
        status=400 if form.errors else 200,
    )


@require_POST
@therapist_required
def appointment_cancel(request, appointment_id: int):
    appointment = _therapists_appointment(request, appointment_id)
    if appointment.has_started or not booking.cancel(appointment, request.user):
        messages.info(request, "That session has already started or was cancelled.")
    else:
        messages.success(request, "Cancelled.")
    return redirect("home")


@require_POST
@therapist_required
def appointment_outcome(request, appointment_id: int):
    appointment = _therapists_appointment(request, appointment_id)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what happened at the session.")
    else:
        try:
            booking.record_outcome(appointment, form.cleaned_data["outcome"])
        except booking.BookingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Recorded: {appointment.get_outcome_display()}.")
    return redirect("home")


def _sessions_cancelled(count: int) -> str:
    return f"{count} session{'' if count == 1 else 's'} cancelled"


# Ending care: GET shows exactly what will happen (the sessions it cancels, who is
# emailed), POST does it. Nothing undoes it; the page and the message say so.


@require_http_methods(["GET", "HEAD", "POST"])
@therapist_required
def end_care(request, patient_id: int):
    therapist = request.user
    patient = get_patient_for_therapist(therapist, patient_id)
    if request.method != "POST":
        return render(
            request,
            "appointments/end_care.html",
            {
                "patient": patient,
                "ending": booking.what_ending_care_does(therapist, patient, by=therapist),
            },
        )
    cancelled = booking.end_care(therapist, patient, by=therapist)
    messages.success(
        request,
        f"You are no longer {patient.display_name}’s therapist"
        + (f"; {_sessions_cancelled(cancelled)}." if cancelled else ".")
        + " To work together again, invite them again.",
    )
    return redirect("accounts:patient_list")


@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def leave_care(request, therapist_id: int):
    patient = request.user
    therapist = get_object_or_404(therapists_of(patient), pk=therapist_id)
    if request.method != "POST":
        return render(
            request,
            "appointments/leave_care.html",
            {
                "therapist": therapist,
                "ending": booking.what_ending_care_does(therapist, patient, by=patient),
            },
        )
    cancelled = booking.end_care(therapist, patient, by=patient)
    messages.success(
        request,
        f"{therapist.display_name} is no longer your therapist here and can no longer see "
        "anything you share"
        + (f"; {_sessions_cancelled(cancelled)}." if cancelled else ".")
        + " Your journal stays yours.",
    )
    return redirect("home")


# Emailed links -------------------------------------------------------------------


def _link_problem(request, error: LinkError):
    status = 404 if error.reason == "invalid" else 410
    appointment = error.appointment
    return render(
        request,
        "appointments/link_unusable.html",
        {
            "reason": error.reason,
            "appointment": appointment,
            # The link came in the patient's email: times in the patient's zone.
            "zone": appointment.patient.zone if appointment else None,
        },
        status=status,
    )


# GET only shows a page with a button: mail scanners open links, people press buttons.
@require_http_methods(["GET", "POST"])
def appointment_action(request, token: str):
    try:
        appointment, action = read_action_link(token)
    except LinkError as error:
        return _link_problem(request, error)
    context = {"appointment": appointment, "action": action, "zone": appointment.patient.zone}
    if action == "rebook":
        # Single use: once asked, the link only says so (and asks nothing again).
        asked = emails.rebook_request(appointment)
        if asked is not None:
            return render(
                request,
                "appointments/rebook_requested.html",
                {**context, "asked_at": asked.created_at, "already": True},
            )
    if request.method == "GET":
        if action == "confirm" and appointment.confirmed_at:
            return render(request, "appointments/confirmed.html", context)
        return render(request, "appointments/action.html", context)
    if action == "confirm":
        Appointment.objects.filter(pk=appointment.pk, confirmed_at=None).update(
            confirmed_at=timezone.now()
        )
        return render(request, "appointments/confirmed.html", context)
    if action == "cancel":
        if not booking.cancel(appointment, appointment.patient):
            return _link_problem(request, LinkError("cancelled", appointment))
        return render(request, "appointments/cancelled.html", context)
    with transaction.atomic():
        asked = emails.plan_rebook_request(appointment)
    return render(
        request, "appointments/rebook_requested.html", {**context, "asked_at": asked.created_at}
    )


@therapist_required
@require_http_methods(["GET", "HEAD"])
def reminder_log(request):
    """The emails about this therapist's sessions, and the practice's reminder times
    as text: the practice manager sets those (notifications.views.practice_settings)."""
    therapist = request.user
    about_my_sessions = Message.objects.filter(
        kind__in=(*emails.ABOUT_A_SESSION, emails.CANCELLED),
        target_id__in=Appointment.objects.of_therapist(therapist).values("pk"),
    ).select_related("recipient")
    return render(
        request,
        "appointments/log.html",
        {
            "reminders": about_my_sessions.order_by("-due_at")[:100],
            "failed": about_my_sessions.filter(status=Message.Status.FAILED).order_by("-due_at")[
                :20
            ],
            "practice": PracticeSettings.current(),
        },
    )
