"""The journal's emails: the daily log nudge (at the patient's own reminder time,
skipped once the day is logged) and the safety alert to each therapist (no content:
"please check in")."""

from django.conf import settings
from django.urls import reverse

from accounts.models import CareLink, User
from notifications import daily
from notifications.compose import compose
from notifications.kinds import register
from notifications.links import site_url
from notifications.models import EmailPreference, Message

from .models import DailyEntry, SafetyAlert


def render_nudge(message: Message):
    log_url = site_url(reverse("journal:entry", args=[daily.local_day(message)]))
    return compose(message, "daily_nudge", {"log_url": log_url})


def load_logged_days(messages) -> dict:
    """For each nudge, whether its day is already logged: one query a batch."""
    logged = set(
        DailyEntry.objects.filter(
            patient__in={message.recipient_id for message in messages},
            day__in={daily.local_day(message) for message in messages},
        ).values_list("patient", "day")
    )
    return {
        message.pk: (message.recipient_id, daily.local_day(message)) in logged
        for message in messages
    }


def nudge_wanted(message: Message) -> bool:
    return daily.still_wanted(message) and not message.target


DAILY_NUDGE = register(
    "daily_nudge",
    label="Daily log reminder",
    render=render_nudge,
    still_wanted=nudge_wanted,
    category=EmailPreference.Category.DAILY,
    daily_for_role=User.Role.PATIENT,
    load=load_logged_days,
)


def render_safety_alert(message: Message):
    return compose(message, "safety_alert", {"site_url": settings.SITE_URL})


def load_safety_alerts(messages) -> dict:
    """For each row, whether it still goes out: only to a therapist still caring for
    the patient (care may have ended since). Two queries a batch."""
    patients = dict(
        SafetyAlert.objects.filter(pk__in={message.target_id for message in messages}).values_list(
            "pk", "patient"
        )
    )
    in_care = set(
        CareLink.objects.active()
        .filter(
            therapist__in={message.recipient_id for message in messages},
            patient__in=set(patients.values()),
        )
        .values_list("therapist", "patient")
    )
    return {
        message.pk: (message.recipient_id, patients.get(message.target_id)) in in_care
        for message in messages
    }


# Cannot be turned off: it asks a therapist to check on someone's safety.
SAFETY_ALERT = register(
    "safety_alert",
    label="Safety alert",
    render=render_safety_alert,
    still_wanted=lambda message: message.target,
    load=load_safety_alerts,
)
