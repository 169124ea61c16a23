"""Booking, moving, cancelling and attendance (the therapist's), ending care (either
side's), the links in appointment emails (no sign-in needed), and the therapist's
view of the emails about their sessions. The rules live in booking.py."""

from allauth.core.internal import ratelimit
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import (
    get_patient_for_therapist,
    patient_required,
    role_required,
    therapist_required,
    therapists_of,
)
from accounts.models import User
from core import crypto
from core.submissions import one_submission
from notifications.models import Message, PracticeSettings

from . import booking, emails, feed, own_sessions, series
from .forms import AppointmentForm, OutcomeForm, OwnAttendanceForm, OwnSessionForm
from .links import LinkError, read_action_link
from .models import Appointment, SessionSeries


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


# A patient's own sessions (their therapist is not on the app) ----------------------
# Only the patient ever sees them: every one is fetched through _own_session.


def _own_session(request, session_id: int) -> Appointment:
    return get_object_or_404(
        Appointment.objects.select_related("series"),
        pk=session_id,
        patient=request.user,
        therapist=None,
    )


def _when(session: Appointment, zone) -> str:
    local = session.starts_at.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M}"


@patient_required
@one_submission
def own_session_new(request):
    patient = request.user
    form = OwnSessionForm(request.POST if request.method == "POST" else None, patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            first, started = own_sessions.add(patient, form.cleaned_data)
        except booking.BookingError as error:
            form.add_error(None, str(error))
        else:
            added = f"Added your session with {first.with_whom} on {_when(first, patient.zone)}."
            if started is not None:
                added += (
                    f" It repeats {started.get_every_weeks_display().lower()}; "
                    "the next weeks are in your list."
                )
            messages.success(request, added)
            return redirect("prep:session_list")
    return render(
        request,
        "appointments/own_session_form.html",
        {"form": form, "session": None},
        status=400 if form.errors else 200,
    )


@patient_required
@one_submission
def own_session_edit(request, session_id: int):
    patient = request.user
    session = _own_session(request, session_id)
    if session.outcome or session.has_started:
        messages.info(request, "That session has already started or was cancelled.")
        return redirect("prep:session_list")
    form = OwnSessionForm(
        request.POST if request.method == "POST" else None, patient=patient, session=session
    )
    if request.method == "POST" and form.is_valid():
        try:
            own_sessions.move(session, form.cleaned_data)
        except booking.BookingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, f"Saved: {_when(session, patient.zone)} with {session.with_whom}."
            )
            return redirect("prep:session_list")
    return render(
        request,
        "appointments/own_session_form.html",
        {"form": form, "session": session},
        status=400 if form.errors else 200,
    )


@require_POST
@patient_required
@one_submission
def own_session_cancel(request, session_id: int):
    session = _own_session(request, session_id)
    if booking.cancel(session, request.user):
        messages.success(request, f"Cancelled your session on {_when(session, request.user.zone)}.")
    else:
        messages.info(request, "That session has already started or was cancelled.")
    return redirect("prep:session_list")


@require_POST
@patient_required
@one_submission
def own_session_attendance(request, session_id: int):
    session = _own_session(request, session_id)
    form = OwnAttendanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose whether you went.")
        return redirect("prep:session_list")
    try:
        booking.record_outcome(session, form.cleaned_data["outcome"])
    except booking.BookingError as error:
        messages.error(request, str(error))
    else:
        went = session.was_attended
        messages.success(request, f"Recorded that you {'went' if went else 'didn’t go'}.")
    return redirect("prep:session_list")


# Stopping a series: GET says how many sessions it cancels, POST does it.


@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
@one_submission
def series_stop(request, series_id: int):
    stopping = get_object_or_404(
        SessionSeries.objects.filter(ended_at=None), pk=series_id, patient=request.user
    )
    if request.method != "POST":
        return render(
            request,
            "appointments/series_stop.html",
            {"series": stopping, "sessions": list(series.sessions_to_cancel(stopping))},
        )
    cancelled = series.stop(stopping)
    messages.success(
        request,
        "Stopped the repeating sessions"
        + (f"; {_sessions_cancelled(cancelled)}." if cancelled else ".")
        + " Sessions that already happened stay in your list.",
    )
    return redirect("prep:session_list")


# The calendar feed (the rules are in feed.py). The address is shown once, on the
# page the "make a link" POST leads to: it travels there encrypted in the session
# and is dropped as soon as it is shown.

JUST_MADE_FEED = "calendar_feed_just_made"
feed_owner_required = role_required(*feed.ROLES)


def _addresses_of_feed_just_made(request) -> tuple[str, str] | None:
    sealed = request.session.pop(JUST_MADE_FEED, None)
    if not sealed:
        return None
    try:
        return feed.feed_urls(crypto.decrypt(sealed))
    except crypto.EncryptionKeyError:
        return None  # a key dropped meanwhile: the page offers a new link instead


@feed_owner_required
@require_http_methods(["GET", "HEAD"])
def calendar_feed(request):
    urls = _addresses_of_feed_just_made(request)
    return render(
        request,
        "appointments/calendar_feed.html",
        {
            "live": feed.live_feed(request.user),
            "https_url": urls[0] if urls else "",
            "webcal_url": urls[1] if urls else "",
            "is_therapist": request.user.role == User.Role.THERAPIST,
        },
    )


@require_POST
@feed_owner_required
@one_submission
def calendar_feed_new(request):
    replaced = feed.live_feed(request.user) is not None
    token = feed.make_feed(request.user)
    request.session[JUST_MADE_FEED] = crypto.encrypt(token)
    messages.success(
        request,
        "Here is your new link. The old one has stopped working."
        if replaced
        else "Here is your link.",
    )
    return redirect("appointments:calendar_feed")


@require_POST
@feed_owner_required
@one_submission
def calendar_feed_stop(request):
    if feed.stop_feed(request.user):
        messages.success(request, "Your calendar feed is stopped. Its link no longer works.")
    else:
        messages.info(request, "There was no calendar feed to stop.")
    return redirect("appointments:calendar_feed")


# Addresses that open nothing, per IP; fetches of one feed (a few calendar apps
# checking now and then), per feed. Counted in the shared cache by allauth's rate
# limiter, the one sign-in uses (its public wrapper leaves GETs uncounted).
FEED_RATES = {"address_unknown": "20/m/ip", "feed": "30/10m/key"}


def _within_rate(request, action: str, key: str | None = None) -> bool:
    usage = ratelimit.consume(
        request,
        app="appointments.feed",
        action=action,
        config=FEED_RATES,
        key=key,
        limit_get=True,
    )
    return usage is not None


@require_http_methods(["GET", "HEAD"])
def calendar_feed_file(request, token: str):
    """The feed itself, for calendar apps: no sign-in, the secret in the address is
    the key. An unknown, stopped or replaced address answers the same 404."""
    found = feed.feed_for(token)
    if found is None:
        # Guessing addresses from one place soon meets a 429 (the secret is far too
        # long to guess; this keeps the guessing from costing the database).
        if not _within_rate(request, "address_unknown"):
            return HttpResponse("Too many requests.", status=429, content_type="text/plain")
        raise Http404
    if not _within_rate(request, "feed", key=found.token_hash):
        return HttpResponse("Too many requests.", status=429, content_type="text/plain")
    response = HttpResponse(
        feed.calendar_for(found.owner), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="sessions.ics"'
    # A feed is never kept by a proxy, nor listed by a search engine if its address
    # leaks (core.middleware.PrivatePagesMiddleware adds no-store to every answer).
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
