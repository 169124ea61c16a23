"""The one-click unsubscribe link every optional email carries, and each person's
email settings (the "All email settings" link in every optional email)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.access import manager_required
from accounts.models import User

from . import daily
from .forms import EmailPreferenceForm, PracticeSettingsForm, TherapistEmailPreferenceForm
from .links import LinkError, preference_for, read_unsubscribe_link
from .models import EmailPreference, PracticeSettings


# Mail clients send the one-click POST (RFC 8058) without a CSRF token; the signed
# token in the URL is the proof. GET only shows a page with a button: mail scanners
# open links, people press buttons.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    try:
        user, category = read_unsubscribe_link(token)
    except LinkError as error:
        status = 410 if error.reason == "expired" else 404
        return render(
            request, "notifications/link_unusable.html", {"reason": error.reason}, status=status
        )
    label = EmailPreference.Category(category).label
    if request.method == "POST":
        # get_or_create and a column update: a mail client's one-click POST may race
        # the person's own click.
        preference, _ = EmailPreference.objects.get_or_create(user=user)
        EmailPreference.objects.filter(pk=preference.pk).update(**{category: False})
        return render(request, "notifications/unsubscribed.html", {"label": label})
    return render(request, "notifications/unsubscribe.html", {"label": label})


@login_required
def email_preferences(request):
    """Everyone's email settings, each person seeing the categories that reach them:
    a patient all of theirs and the daily reminder time, a therapist booking changes
    and follow-ups. Alerts that ask someone to act (safety, feedback) cannot be
    turned off, and the page says so."""
    if request.user.is_patient:
        return _patient_preferences(request)
    person = request.user
    form = None
    if person.is_therapist:
        # Bound on every POST: with every box unticked the form posts nothing else.
        data = request.POST if request.method == "POST" else None
        form = TherapistEmailPreferenceForm(data, instance=preference_for(person))
    if request.method == "POST":
        if form is None:
            return HttpResponseNotAllowed(["GET"])
        if form.is_valid():
            # A column update on a row made once: a one-click unsubscribe may race it.
            preference, _ = EmailPreference.objects.get_or_create(user=person)
            EmailPreference.objects.filter(pk=preference.pk).update(**form.cleaned_data)
            messages.success(request, "Your email settings are saved.")
            return redirect("notifications:email_preferences")
    context = {"form": form, "always_on": ALWAYS_ON.get(person.role, [])}
    status = 400 if form is not None and form.errors else 200
    return render(request, "notifications/preferences.html", context, status=status)


# Emails a person cannot turn off, by role: each asks them to act for someone.
ALWAYS_ON = {
    User.Role.THERAPIST: [
        ("Safety alerts", "when a patient of yours reports thoughts of harming themselves"),
        ("Feedback to read", "when a patient’s session feedback suggests something to talk about"),
    ],
    User.Role.MANAGER: [
        (
            "Feedback sent to the practice manager",
            "when a patient asks you to step in about their care",
        ),
    ],
}


@manager_required
def practice_settings(request):
    """The practice-wide reminder schedule: how long before each session the two
    reminders go out. It reaches every patient, so only a practice manager sets it;
    therapists see it as text on their reminders page."""
    form = PracticeSettingsForm(request.POST or None, instance=PracticeSettings.current())
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Reminder times saved for sessions booked from now on.")
        return redirect("notifications:practice_settings")
    return render(
        request,
        "notifications/practice_settings.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _patient_preferences(request):
    patient = request.user
    form = EmailPreferenceForm(
        request.POST or None,
        instance=preference_for(patient),
        initial={"reminder_time": patient.reminder_time},
    )
    if request.method == "POST":
        if form.is_valid():
            with transaction.atomic():
                form.save()
                patient.reminder_time = form.cleaned_data["reminder_time"]
                patient.save(update_fields=["reminder_time"])
                daily.plan(patient)
            messages.success(request, "Your email settings are saved.")
            return redirect("notifications:email_preferences")
        return render(request, "notifications/preferences.html", {"form": form}, status=400)
    return render(request, "notifications/preferences.html", {"form": form})
