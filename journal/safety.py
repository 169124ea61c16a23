"""The safety path: a patient who reports thoughts of self-harm sees crisis resources
at once, and each of their therapists is flagged in the app and emailed "please check
in". The email carries no content. The app never claims to watch entries live.

One alert per event: per daily entry (however often it is saved) and per PHQ-9
response; the one-to-one columns on SafetyAlert enforce it in the database. The
emails are outbox rows written with the alert, one per therapist, so a dead worker
or a broker outage delays them but never loses them (notifications/dispatch.py).

The patient then lands on the support page, whose link names the alert; the page
reads the outbox to say who was told, by name, or that nobody was (and, for a patient
whose therapist isn't on the app, why), then the crisis resources. The same page,
without an alert, is "Need help now": open to anyone, signed in or not, and opening
it tells nobody.

The therapist's alert page says how to reach the patient (the phone number the
patient chose to give, or plainly that they gave none, and their email address) and
keeps a record of each time a therapist reached out: what they did and when.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.access import cared_for_by, therapists_of
from core import phone
from notifications.models import Message
from notifications.outbox import enqueue
from notifications.tasks import dispatch_soon

from .emails import SAFETY_ALERT
from .models import DailyEntry, MeasureResponse, SafetyAlert, SafetyContact


def raise_for_entry(entry: DailyEntry) -> SafetyAlert | None:
    if not entry.self_harm_thoughts:
        return None
    alert, created = SafetyAlert.objects.get_or_create(
        entry=entry, defaults={"patient": entry.patient, "source": SafetyAlert.Source.DAILY_LOG}
    )
    if created:
        _notify(alert)
    return alert


def raise_for_measure(response: MeasureResponse) -> SafetyAlert:
    alert, created = SafetyAlert.objects.get_or_create(
        measure=response, defaults={"patient": response.patient, "source": SafetyAlert.Source.PHQ9}
    )
    if created:
        _notify(alert)
    return alert


def _notify(alert: SafetyAlert) -> list:
    """One email per therapist caring for the patient now, in the alert's transaction.
    Returns those therapists: none when no therapist is linked, and then nobody is told."""
    therapists = list(therapists_of(alert.patient).order_by("pk"))
    for therapist in therapists:
        enqueue(SAFETY_ALERT, target_id=alert.pk, recipient=therapist, due_at=alert.created_at)
    if therapists:
        dispatch_soon()
    return therapists


# An email in one of these states never reached its therapist and never will.
NOT_TOLD = (Message.Status.SKIPPED, Message.Status.CANCELLED, Message.Status.EXPIRED)


def therapists_told(alert: SafetyAlert) -> list:
    """Who was told about this alert: the therapists an email to was queued in the
    outbox (and not dropped since), read from the outbox itself."""
    rows = (
        Message.objects.about([SAFETY_ALERT], alert.pk)
        .exclude(status__in=NOT_TOLD)
        .exclude(recipient=None)
        .select_related("recipient")
        .order_by("pk")
    )
    return [row.recipient for row in rows]


@dataclass(frozen=True)
class Report:
    """What the patient is told after a safety answer: only what happened."""

    alert: SafetyAlert
    told: list = field(default_factory=list)
    # No therapist on the app cares for the patient now (a "solo" patient): nobody
    # here can be told, and the page says why.
    solo: bool = False

    @property
    def told_names(self) -> str:
        names = [therapist.display_name for therapist in self.told]
        if len(names) < 2:
            return "".join(names)
        return f"{', '.join(names[:-1])} and {names[-1]}"


def support_url(alert: SafetyAlert | None) -> str:
    """The support page, naming the alert so the page can say who was told. The page
    reads; nothing is written when it opens."""
    url = reverse("journal:support")
    return f"{url}?{urlencode({'alert': alert.pk})}" if alert else url


def after_entry(entry: DailyEntry) -> str:
    return support_url(SafetyAlert.objects.filter(entry=entry).first())


def after_measure(response: MeasureResponse) -> str:
    return support_url(SafetyAlert.objects.filter(measure=response).first())


def report_for(patient, alert_id: str | None) -> Report | None:
    """The patient's own alert named in the support page's link, with who was told;
    None for anything else (no id, a malformed one, another person's alert)."""
    if not alert_id or not alert_id.isdigit() or not getattr(patient, "is_patient", False):
        return None
    if not alert_id.isascii() or len(alert_id) > 18:  # "²" is a digit; no id is longer
        return None
    alert = SafetyAlert.objects.filter(pk=int(alert_id), patient=patient).first()
    if alert is None:
        return None
    told = therapists_told(alert)
    return Report(alert=alert, told=told, solo=not told and nobody_to_tell(patient))


def nobody_to_tell(patient) -> bool:
    """No therapist on the app cares for this patient: a safety answer reaches
    nobody here, and the forms that ask say so before it is given."""
    return not therapists_of(patient).exists()


@transaction.atomic
def acknowledge(alert: SafetyAlert, by) -> bool:
    """The therapist has seen it; the first acknowledgement is the one kept."""
    return bool(
        SafetyAlert.objects.filter(pk=alert.pk, acknowledged_at=None).update(
            acknowledged_at=timezone.now(), acknowledged_by=by
        )
    )


def crisis_resources() -> list[dict]:
    """CRISIS_RESOURCES (checked at start-up, config/settings.py) with a tap-to-call
    link for each phone number and a tap-to-text link for each text number."""
    return [
        {
            **resource,
            "calls": [_link("tel", number) for number in resource.get("phone", [])],
            "texts": [_link("sms", number) for number in resource.get("sms", [])],
        }
        for resource in settings.CRISIS_RESOURCES
    ]


def _link(scheme: str, number: str) -> dict:
    # Only digits and a leading "+" in the link; the number as written in its text.
    return {"number": number.strip(), "href": phone.dial(scheme, number)}


def alerts_for(therapist):
    """Every alert about a patient in this therapist's care now, seen or not."""
    return SafetyAlert.objects.filter(cared_for_by(therapist, "patient"))


def open_alerts_for(therapist):
    return (
        alerts_for(therapist)
        .filter(acknowledged_at=None)
        .select_related("patient")
        .order_by("-created_at")
    )


def how_to_reach(patient) -> dict:
    """The ways the therapist may reach the patient: the phone number they gave (with
    a tap-to-call link), else None, and their email address."""
    number = patient.phone
    return {
        "phone": _link("tel", number) if number else None,
        "email": patient.email,
    }


@transaction.atomic
def record_contact(alert: SafetyAlert, by, contacted_at, note: str) -> SafetyContact:
    """The therapist reached out (or tried): one row per report. Reaching out means
    the alert was seen, so an unseen alert is marked seen by them too."""
    contact = SafetyContact.objects.create(
        alert=alert, therapist=by, contacted_at=contacted_at, note=note
    )
    acknowledge(alert, by)
    return contact
