"""The one-click unsubscribe link every optional email carries, and a patient's
email settings."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.access import patient_required

from . import daily
from .forms import EmailPreferenceForm
from .links import LinkError, preference_for, read_unsubscribe_link
from .models import EmailPreference


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


@patient_required
def email_preferences(request):
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
