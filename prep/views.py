from datetime import date, datetime, timedelta

from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import charts
from accounts.access import (
    get_patient_for_therapist,
    patient_required,
    patients_of,
    therapist_required,
    therapists_of,
)
from accounts.models import Invitation
from feedback import alerts as alliance
from feedback.models import SessionFeedback
from journal import measures, safety
from journal.models import DailyEntry

from . import appointments, summaries
from .forms import AgendaLineForm, AppointmentForm, OutcomeForm
from .models import AccessEvent, Appointment, PrepPreference, PreSessionSummary


@patient_required
def patient_home(request):
    patient = request.user
    today = patient.today()
    return render(
        request,
        "prep/patient_home.html",
        {
            "today": today,
            "todays_entry": DailyEntry.objects.filter(patient=patient, day=today)
            .only("pk", "mood")
            .first(),
            "measures_due": measures.next_due(patient),
            "next_session": Appointment.objects.booked()
            .filter(patient=patient, starts_at__gte=timezone.now())
            .select_related("therapist")
            .first(),
            "therapists": therapists_of(patient).order_by("last_name", "first_name"),
            "feedback_due": list(
                Appointment.objects.attended()
                .filter(patient=patient, starts_at__gte=timezone.now() - timedelta(days=14))
                .exclude(
                    pk__in=SessionFeedback.objects.filter(patient=patient).values("appointment_id")
                )
                .select_related("therapist")
                .order_by("-starts_at")[:3]
            ),
        },
    )


def _with_summary_status(queryset):
    shared = PreSessionSummary.objects.filter(appointment=OuterRef("pk"), version__gt=0)
    draft = PreSessionSummary.objects.filter(appointment=OuterRef("pk"), version=0)
    return queryset.annotate(has_shared=Exists(shared), has_draft=Exists(draft))


@therapist_required
def therapist_dashboard(request):
    therapist = request.user
    now = timezone.now()
    today_start = datetime.combine(
        timezone.localdate(timezone=therapist.zone), datetime.min.time(), tzinfo=therapist.zone
    )
    upcoming = _with_summary_status(
        Appointment.objects.booked()
        .of_therapist(therapist)
        .filter(starts_at__gte=today_start, starts_at__lt=now + timedelta(days=14))
        .select_related("patient")
        .order_by("starts_at")
    )
    return render(
        request,
        "prep/therapist_dashboard.html",
        {
            "safety_alerts": list(safety.open_alerts_for(therapist)),
            "alliance_alerts": list(alliance.open_alerts_for(therapist)),
            "appointments": list(upcoming),
            "needs_attendance": list(appointments.needing_attendance(therapist)),
            "outcome_choices": Appointment.Outcome.choices,
            "patient_count": patients_of(therapist).count(),
            "pending_invitations": Invitation.objects.filter(
                therapist=therapist, accepted_at=None, revoked_at=None
            ).count(),
        },
    )


def _therapists_appointment(request, appointment_id: int) -> Appointment:
    return get_object_or_404(
        Appointment.objects.of_therapist(request.user).select_related("patient", "therapist"),
        pk=appointment_id,
    )


def _patients_appointment(request, appointment_id: int) -> Appointment:
    return get_object_or_404(
        Appointment.objects.select_related("patient", "therapist"),
        pk=appointment_id,
        patient=request.user,
    )


@require_POST
@therapist_required
def end_care(request, patient_id: int):
    patient = get_patient_for_therapist(request.user, patient_id)
    cancelled = appointments.end_care(request.user, patient, by=request.user)
    messages.success(
        request,
        f"You are no longer {patient.display_name}’s therapist"
        + (f"; {cancelled} upcoming session(s) cancelled." if cancelled else "."),
    )
    return redirect("accounts:patient_list")


@require_POST
@patient_required
def leave_care(request, therapist_id: int):
    therapist = get_object_or_404(therapists_of(request.user), pk=therapist_id)
    appointments.end_care(therapist, request.user, by=request.user)
    messages.success(
        request,
        f"{therapist.display_name} is no longer your therapist here and can no longer see "
        "anything you share. Your journal stays yours.",
    )
    return redirect("prep:patient_home")


@therapist_required
def appointment_list(request):
    appointments_ = _with_summary_status(
        Appointment.objects.of_therapist(request.user)
        .select_related("patient")
        .order_by("-starts_at")
    )[:200]
    return render(request, "prep/appointment_list.html", {"appointments": appointments_})


@therapist_required
def appointment_new(request):
    initial = {}
    patient = request.GET.get("patient", "")
    if patient.isascii() and patient.isdigit():
        initial["patient"] = int(patient)
    return _appointment_form(request, Appointment(), initial)


@therapist_required
def appointment_edit(request, appointment_id: int):
    appointment = _therapists_appointment(request, appointment_id)
    if appointment.outcome or appointment.has_started:
        messages.info(request, "That session has already started or was cancelled.")
        return redirect("prep:appointment_list")
    return _appointment_form(request, appointment, {})


def _appointment_form(request, appointment, initial):
    form = AppointmentForm(
        request.POST or None, instance=appointment, initial=initial, therapist=request.user
    )
    if request.method == "POST" and form.is_valid():
        is_new = appointment.pk is None
        try:
            saved = appointments.save_booking(form.save(commit=False))
        except appointments.BookingError as error:
            form.add_error(None, str(error))
        else:
            when = saved.starts_at.astimezone(request.user.zone)
            messages.success(
                request,
                f"{'Booked' if is_new else 'Moved to'} {when:%A} {when.day} {when:%B}, "
                f"{when:%H:%M} with {saved.patient.display_name}.",
            )
            return redirect("prep:therapist_dashboard")
    return render(
        request,
        "prep/appointment_form.html",
        {"form": form, "appointment": appointment},
        status=400 if form.errors else 200,
    )


@require_POST
@therapist_required
def appointment_cancel(request, appointment_id: int):
    appointment = _therapists_appointment(request, appointment_id)
    if appointment.has_started or not appointments.cancel(appointment, request.user):
        messages.info(request, "That session has already started or was cancelled.")
    else:
        messages.success(request, "Cancelled.")
    return redirect("prep:therapist_dashboard")


@require_POST
@therapist_required
def appointment_outcome(request, appointment_id: int):
    appointment = _therapists_appointment(request, appointment_id)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what happened at the session.")
    else:
        try:
            appointments.record_outcome(appointment, form.cleaned_data["outcome"])
        except appointments.BookingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Recorded: {appointment.get_outcome_display()}.")
    return redirect("prep:therapist_dashboard")


@patient_required
def session_list(request):
    sessions = list(
        Appointment.objects.filter(patient=request.user)
        .select_related("therapist")
        .order_by("-starts_at")[:100]
    )
    now = timezone.now()
    return render(
        request,
        "prep/session_list.html",
        {
            "upcoming": sorted(
                (s for s in sessions if s.starts_at >= now and not s.is_cancelled),
                key=lambda s: s.starts_at,
            ),
            "past": [s for s in sessions if s.starts_at < now or s.is_cancelled],
        },
    )


def summary_display(snapshot: dict) -> dict:
    """Charts and dates for showing a snapshot; the data itself is never changed."""
    if not snapshot:
        return {}
    period = snapshot["period"]
    start, end = date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
    series = snapshot.get("series") or []
    display = {"start": start, "end": end}
    if series:
        points = [(date.fromisoformat(row[0]), row[1:]) for row in series]
        by_day = dict(points)
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]

        def line(name, index, colour):
            return charts.Series(
                name, colour, [(day, (by_day.get(day) or [None] * 4)[index]) for day in days]
            )

        display["chart"] = charts.line_chart(
            "summary-scales",
            "Mood, anxiety and energy (0 to 10)",
            [
                line("Mood", 0, "#2f6f73"),
                line("Anxiety", 1, "#c4512f"),
                line("Energy", 2, "#d19a2a"),
            ],
            start,
            end,
            10,
        )
        display["rows"] = [(day, values) for day, values in points]
    display["appointment_at"] = datetime.fromisoformat(snapshot["appointment"]["starts_at"])
    display["attendance"] = [
        (datetime.fromisoformat(row["starts_at"]), row["outcome"])
        for row in snapshot.get("attendance") or []
    ]
    return display


@patient_required
def summary_review(request, appointment_id: int):
    appointment = _patients_appointment(request, appointment_id)
    draft = summaries.draft_for(appointment)
    if draft and not appointment.has_started and not appointment.is_cancelled:
        # The patient reviews what would be shared now, not what it was two days ago.
        draft = summaries.generate_draft(appointment)
    shared = list(
        PreSessionSummary.objects.filter(appointment=appointment, version__gt=0).order_by(
            "-version"
        )
    )
    openings = list(
        AccessEvent.objects.filter(summary__appointment=appointment)
        .select_related("viewer", "summary")
        .order_by("-opened_at")[:50]
    )
    context = {
        "appointment": appointment,
        "draft": draft,
        "shared_versions": shared,
        "openings": openings,
        "agenda_form": AgendaLineForm(),
        "share_automatically": PrepPreference.objects.filter(
            patient=request.user, share_automatically=True
        ).exists(),
    }
    if draft:
        context.update(
            preview=summaries.visible(draft.snapshot, draft.hidden, draft.included_thoughts),
            snapshot=draft.snapshot,
            hidden=set(draft.hidden),
            display=summary_display(draft.snapshot),
        )
    return render(request, "prep/summary_review.html", context)


@require_POST
@patient_required
def summary_generate(request, appointment_id: int):
    appointment = _patients_appointment(request, appointment_id)
    if appointment.is_cancelled:
        raise Http404
    summaries.generate_draft(appointment)
    messages.success(request, "Your summary is up to date with your journal.")
    return redirect("prep:summary_review", appointment_id=appointment.pk)


@require_POST
@patient_required
def summary_choices(request, appointment_id: int):
    appointment = _patients_appointment(request, appointment_id)
    draft = summaries.draft_for(appointment)
    if draft is None:
        raise Http404
    shown = set(request.POST.getlist("show"))
    hidden = [key for key in summaries.item_keys(draft.snapshot) if key not in shown]
    thoughts = [int(v) for v in request.POST.getlist("thought") if v.isascii() and v.isdigit()]
    summaries.save_choices(draft, hidden, thoughts)
    if request.POST.get("action") == "share":
        version = summaries.share(appointment)
        messages.success(
            request,
            f"Shared with {appointment.therapist.display_name} (version {version.version}).",
        )
    else:
        messages.success(request, "Saved your choices. Nothing has been shared yet.")
    return redirect("prep:summary_review", appointment_id=appointment.pk)


@require_POST
@patient_required
def summary_add_agenda(request, appointment_id: int):
    appointment = _patients_appointment(request, appointment_id)
    form = AgendaLineForm(request.POST)
    if form.is_valid():
        item = form.save(commit=False)
        item.patient = request.user
        item.save()
        if summaries.draft_for(appointment):
            summaries.generate_draft(appointment)
        messages.success(request, "Added to your agenda.")
    else:
        messages.error(request, "Write a few words to add (up to 500 characters).")
    return redirect("prep:summary_review", appointment_id=appointment.pk)


@require_POST
@patient_required
def share_automatically(request):
    preference, _ = PrepPreference.objects.get_or_create(patient=request.user)
    preference.share_automatically = request.POST.get("on") == "1"
    preference.save(update_fields=["share_automatically"])
    messages.success(
        request,
        "Summaries will be shared automatically."
        if preference.share_automatically
        else "You’ll review each summary before it is shared.",
    )
    return redirect("prep:session_list")


@therapist_required
def summary_read(request, appointment_id: int):
    appointment = _therapists_appointment(request, appointment_id)
    summary = summaries.latest_shared(appointment)
    if summary is not None:
        AccessEvent.objects.create(summary=summary, viewer=request.user)
    return render(
        request,
        "prep/summary_read.html",
        {
            "appointment": appointment,
            "summary": summary,
            "preview": summary.snapshot if summary else None,
            "display": summary_display(summary.snapshot) if summary else {},
        },
    )
