"""Emailed links that work without signing in (confirm, cancel, ask for a new time,
unsubscribe), the patient's email settings, and the therapist's view of the outbox."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.access import patient_required, therapist_required

from . import appointments, reminders
from .models import Appointment, EmailPreference, PracticeSettings, Reminder
from .reminder_forms import EmailPreferenceForm, PracticeSettingsForm

LinkError = reminders.LinkError


def _link_problem(request, error: LinkError):
    status = 404 if error.reason == "invalid" else 410
    return render(
        request,
        "prep/reminders/link_unusable.html",
        {"reason": error.reason, "appointment": error.appointment},
        status=status,
    )


# GET only shows a page with a button: mail scanners open links, people press buttons.
@require_http_methods(["GET", "POST"])
def appointment_action(request, token: str):
    try:
        appointment, action = reminders.read_action_link(token)
    except LinkError as error:
        return _link_problem(request, error)
    context = {"appointment": appointment, "action": action, "zone": appointment.patient.zone}
    if request.method == "GET":
        if action == "confirm" and appointment.confirmed_at:
            return render(request, "prep/reminders/confirmed.html", context)
        return render(request, "prep/reminders/action.html", context)
    if action == "confirm":
        Appointment.objects.filter(pk=appointment.pk, confirmed_at=None).update(
            confirmed_at=timezone.now()
        )
        return render(request, "prep/reminders/confirmed.html", context)
    if action == "cancel":
        if not appointments.cancel(appointment, appointment.patient):
            return _link_problem(request, LinkError("cancelled", appointment))
        return render(request, "prep/reminders/cancelled.html", context)
    with transaction.atomic():
        reminders.plan_rebook_request(appointment)
    return render(request, "prep/reminders/rebook_requested.html", context)


# Mail clients send the one-click POST (RFC 8058) without a CSRF token; the signed
# token in the URL is the proof.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    try:
        user, category = reminders.read_unsubscribe_link(token)
    except LinkError as error:
        return _link_problem(request, error)
    label = EmailPreference.Category(category).label
    if request.method == "POST":
        # get_or_create and a column update: a mail client's one-click POST may race
        # the person's own click.
        preference, _ = EmailPreference.objects.get_or_create(user=user)
        EmailPreference.objects.filter(pk=preference.pk).update(**{category: False})
        return render(request, "prep/reminders/unsubscribed.html", {"label": label})
    return render(request, "prep/reminders/unsubscribe.html", {"label": label})


@patient_required
def email_preferences(request):
    patient = request.user
    preference, _ = EmailPreference.objects.get_or_create(user=patient)
    form = EmailPreferenceForm(
        request.POST or None, instance=preference, initial={"reminder_time": patient.reminder_time}
    )
    if request.method == "POST":
        if form.is_valid():
            with transaction.atomic():
                form.save()
                patient.reminder_time = form.cleaned_data["reminder_time"]
                patient.save(update_fields=["reminder_time"])
                reminders.plan_daily_nudge(patient)
            messages.success(request, "Your email settings are saved.")
            return redirect("prep:email_preferences")
        return render(request, "prep/reminders/preferences.html", {"form": form}, status=400)
    return render(request, "prep/reminders/preferences.html", {"form": form})


@therapist_required
def reminder_log(request):
    therapist = request.user
    practice = PracticeSettings.current()
    form = PracticeSettingsForm(request.POST or None, instance=practice)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Reminder times saved for sessions booked from now on.")
        return redirect("prep:reminder_log")
    recent = (
        Reminder.objects.filter(appointment__in=Appointment.objects.of_therapist(therapist))
        .select_related("recipient", "appointment")
        .order_by("-due_at")[:100]
    )
    failed = (
        Reminder.objects.filter(
            appointment__in=Appointment.objects.of_therapist(therapist),
            status=Reminder.Status.FAILED,
        )
        .select_related("recipient", "appointment")
        .order_by("-due_at")[:20]
    )
    return render(
        request,
        "prep/reminders/log.html",
        {"reminders": recent, "failed": failed, "form": form},
        status=400 if form.errors else 200,
    )
