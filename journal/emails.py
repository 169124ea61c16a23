"""The journal's emails: the daily log nudge (at the patient's own reminder time,
skipped once the day is logged) and the safety alert to each therapist (no content:
"please check in")."""

from django.conf import settings
from django.urls import reverse

from accounts.access import cared_for_by
from accounts.models import User
from notifications import daily
from notifications.compose import compose
from notifications.kinds import register
from notifications.links import site_url
from notifications.models import EmailPreference, Message

from .models import DailyEntry, SafetyAlert


def render_nudge(message: Message):
    log_url = site_url(reverse("journal:entry", args=[daily.local_day(message)]))
    return compose(message, "daily_nudge", {"log_url": log_url})


def nudge_wanted(message: Message) -> bool:
    if not daily.still_wanted(message):
        return False
    return not DailyEntry.objects.filter(
        patient=message.recipient, day=daily.local_day(message)
    ).exists()


DAILY_NUDGE = register(
    "daily_nudge",
    label="Daily log reminder",
    render=render_nudge,
    still_wanted=nudge_wanted,
    category=EmailPreference.Category.DAILY,
    daily_for_role=User.Role.PATIENT,
)


def render_safety_alert(message: Message):
    return compose(message, "safety_alert", {"site_url": settings.SITE_URL})


def safety_alert_wanted(message: Message) -> bool:
    """Only to a therapist still caring for the patient (care may have ended since)."""
    return SafetyAlert.objects.filter(
        cared_for_by(message.recipient, "patient"), pk=message.target_id
    ).exists()


# Cannot be turned off: it asks a therapist to check on someone's safety.
SAFETY_ALERT = register(
    "safety_alert",
    label="Safety alert",
    render=render_safety_alert,
    still_wanted=safety_alert_wanted,
)
