"""A patient's rights over their own data: a copy of everything (GDPR Articles 15
and 20) and erasure (Article 17).

`export_zip` builds the download: every section as JSON and as CSV, the
questionnaires also as FHIR R4 resources, and a README saying what each file is.
It reads only rows reached from this one patient; the one write is the access
log's note that it was made.

`erase` deletes the account in one transaction. Which rows go is not a list kept
by hand: every model with a foreign key to the user is found by introspection, so
a model added later is erased too. Only two things stay: the user row itself,
anonymised and deactivated, and the appointments, so a therapist's history still
shows "session held on …" with a former patient.
"""

import csv
import io
import json
import textwrap
import uuid
import zipfile
from datetime import date, datetime
from decimal import Decimal
from importlib import import_module

from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import router, transaction
from django.db.models import ForeignKey, OneToOneField, Q
from django.db.models.deletion import Collector
from django.utils import timezone

from accounts import audit
from accounts.models import ERASED_EMAIL_DOMAIN, AccessRecord, Invitation, User
from appointments import emails as appointment_emails
from appointments.models import Appointment, CalendarFeed, SessionSeries
from core.models import SubmissionToken
from feedback import emails as feedback_emails
from feedback.models import AllianceAlert, Escalation, SessionFeedback
from journal import emails as journal_emails
from journal import measures
from journal.models import (
    DailyEntry,
    MeasurePlan,
    MeasureResponse,
    ParkedTopic,
    SafetyAlert,
    SafetyContact,
    Symptom,
    SymptomRating,
)
from notifications import emails as notification_emails
from notifications import kinds
from notifications.models import EmailPreference, Message

from . import emails as prep_emails
from .models import (
    AgendaItem,
    Goal,
    Homework,
    PrepPreference,
    PreSessionSummary,
    SummaryLink,
    SummaryLinkEmail,
)

# The rows that stay after erasure, attached to the anonymised user: the sessions
# that were held (or booked), which are the therapist's record as much as the
# patient's. Nothing else that points at the patient survives.
KEPT = {(Appointment, "patient")}

# What each email kind's `target_id` is the id of, so the outbox rows about an
# erased patient can be found. A kind planned daily for each person targets the
# person. tests/prep/test_rights.py checks that every registered kind is here.
OUTBOX_TARGETS = {
    appointment_emails.REMINDER: Appointment,
    appointment_emails.BOOKED: Appointment,
    appointment_emails.MOVED: Appointment,
    appointment_emails.CANCELLED: Appointment,
    appointment_emails.LATE_CANCELLATION_NOTE: Appointment,
    appointment_emails.NO_SHOW: Appointment,
    appointment_emails.REBOOK_REQUEST: Appointment,
    feedback_emails.FEEDBACK_REQUEST: Appointment,
    prep_emails.SUMMARY_READY: Appointment,
    prep_emails.SUMMARY_LINK: SummaryLinkEmail,
    feedback_emails.ALLIANCE_ALERT: AllianceAlert,
    feedback_emails.ESCALATION: Escalation,
    journal_emails.SAFETY_ALERT: SafetyAlert,
    notification_emails.INVITATION: Invitation,
    notification_emails.THERAPIST_INVITATION: Invitation,
    notification_emails.ADDRESS_CONFIRMATION: EmailAddress,
    notification_emails.PASSWORD_RESET: User,
    notification_emails.ACCOUNT_EXISTS: User,
}


def outbox_target(kind_name: str):
    """The model whose id an outbox row of this kind carries, or None if unknown."""
    if kind_name in OUTBOX_TARGETS:
        return OUTBOX_TARGETS[kind_name]
    kind = kinds.KINDS.get(kind_name)
    if kind is not None and kind.daily_for_role:
        return User
    return None


# Download ---------------------------------------------------------------------

LOINC = "http://loinc.org"
# The LOINC panel, the code of each item in order, and the code of the total score.
FHIR_QUESTIONNAIRES = {
    MeasureResponse.Kind.PHQ9: {
        "panel": "44249-1",
        "items": (
            "44250-9",
            "44255-8",
            "44259-0",
            "44254-1",
            "44251-7",
            "44258-2",
            "44252-5",
            "44253-3",
            "44260-8",
        ),
        "total": "44261-6",
        "total_display": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
    },
    MeasureResponse.Kind.GAD7: {
        "panel": "69737-5",
        "items": ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"),
        "total": "70274-6",
        "total_display": "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
    },
}

README = """\
Your data from Between Sessions
===============================

This is a copy of everything you wrote or answered in Between Sessions, made on
{made_on}. Times are in your time zone ({zone}), written like
2027-03-28T20:15:00+01:00 (the part after + or - is the difference from UTC).
A blank cell (CSV) or null (JSON) means there is nothing there: a question you
left unanswered, or something that hasn't happened (homework not done yet). It
never means zero.

Every part comes twice: as a .json file (for programs) and as a .csv file (opens
in a spreadsheet). The two hold the same things.

{sections}

fhir/questionnaires.json
    Your PHQ-9 and GAD-7 questionnaires in FHIR R4, the format health records
    use, so another service can read them: a Bundle with one
    QuestionnaireResponse for each questionnaire you completed and one
    Observation for each total score (LOINC 44261-6 for the PHQ-9 total,
    70274-6 for the GAD-7 total). It doesn't name you: you appear only as a
    code.

Nothing here is about anyone else, apart from the names of the people you
worked with here and what they wrote to you. Notes your therapist keeps
outside this app are not part of it.
"""

# (file name, what it holds) in the order the README lists them.
SECTIONS = [
    (
        "account",
        "Your account: email address, name, time zone, daily reminder time, phone number.",
    ),
    (
        "daily_entries",
        "Your daily log: mood, anxiety, energy (0 to 10), hours slept, your thoughts, "
        "and the symptoms you rated that day.",
    ),
    ("symptom_ratings", "Each symptom rating on its own line (0 none to 3 severe)."),
    ("symptoms", "The symptoms you track, and when you stopped tracking any."),
    ("parked_topics", "Topics you parked for later."),
    (
        "questionnaires",
        "Your PHQ-9 and GAD-7 answers (0 not at all to 3 nearly every day), "
        "total scores and what each total means.",
    ),
    ("safety_alerts", "Times you told us about thoughts of harming yourself."),
    ("safety_contacts", "What your therapist recorded doing after each of those, and when."),
    ("agenda", "Things you wanted to talk about, and questions for your therapist."),
    ("goals", "Your goals, with every comment on them, yours and your therapist's."),
    ("goal_comments", "The comments on your goals, one per line."),
    ("homework", "Homework you were set, and when you ticked it off."),
    (
        "shared_summaries",
        "Each pre-session summary you shared, exactly as your therapist received it.",
    ),
    ("summary_openings", "Who opened your shared summaries, and when."),
    (
        "summary_links",
        "Links you made to a shared summary for someone not on the app: when each "
        "expires, whether it needs a code, when you stopped it, every opening, and the "
        "addresses you had it emailed to.",
    ),
    (
        "access_log",
        "Every time someone opened something of yours here (a page about you, your "
        "summary, your feedback, this download): who, what kind of thing, and when.",
    ),
    ("feedback", "How you rated working with your therapist, with any reply to it."),
    ("replies", "Replies your therapist wrote to your feedback."),
    ("escalations", "Feedback you sent to the practice manager."),
    ("appointments", "Your sessions: when, with whom, where, and what happened."),
    (
        "session_series",
        "Sessions you added that repeat every week or two, and when you stopped them.",
    ),
    (
        "calendar_feeds",
        "Calendar feed addresses you made, and when you stopped them (the addresses "
        "themselves are not kept).",
    ),
    ("preferences", "Your email settings and other choices you made."),
    ("emails", "The emails we sent you: what kind, when, and whether they were sent."),
]


def _zone(patient: User):
    return patient.zone


def _when(value, zone):
    """A moment in ISO 8601 with its offset, in the patient's zone; a day as
    YYYY-MM-DD; anything else (None too) as it is."""
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _number(value):
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def _name(user) -> str | None:
    return user.display_name if user else None


def _sections(patient: User) -> dict[str, list[dict]]:
    zone = _zone(patient)

    def when(value):
        return _when(value, zone)

    ratings_by_entry: dict[int, list[dict]] = {}
    rating_rows = []
    # By day, then name: in Python, as symptom names are encrypted.
    for rating in sorted(
        SymptomRating.objects.filter(entry__patient=patient).select_related("entry", "symptom"),
        key=lambda rating: (rating.entry.day, rating.symptom.name, rating.pk),
    ):
        row = {
            "day": when(rating.entry.day),
            "symptom": rating.symptom.name,
            "severity": rating.severity,
            "severity_meaning": rating.get_severity_display(),
        }
        rating_rows.append(row)
        ratings_by_entry.setdefault(rating.entry_id, []).append(
            {k: row[k] for k in ("symptom", "severity", "severity_meaning")}
        )

    entries = [
        {
            "day": when(entry.day),
            "mood": entry.mood,
            "anxiety": entry.anxiety,
            "energy": entry.energy,
            "sleep_hours": _number(entry.sleep_hours),
            "thoughts": entry.thoughts,
            "discuss_next_session": entry.discuss_next_session,
            "homework_done": entry.homework_done,
            "self_harm_thoughts": entry.self_harm_thoughts,
            "symptom_ratings": ratings_by_entry.get(entry.pk, []),
            "written_at": when(entry.created_at),
            "changed_at": when(entry.updated_at),
        }
        for entry in DailyEntry.objects.filter(patient=patient).order_by("day")
    ]

    questionnaires = []
    for response in MeasureResponse.objects.filter(patient=patient).order_by("taken_at"):
        questionnaire = measures.QUESTIONNAIRES[response.kind]
        row = {"questionnaire": questionnaire.name, "taken_at": when(response.taken_at)}
        for number, answer in enumerate(response.answers, start=1):
            row[f"item_{number}"] = answer
        row.update(
            difficulty=response.difficulty,
            total=response.total,
            meaning=response.band,
        )
        questionnaires.append(row)

    goals, goal_comments = [], []
    for goal in (
        Goal.objects.filter(patient=patient)
        .select_related("created_by")
        .prefetch_related("comments__author")
        .order_by("created_at")
    ):
        comments = [
            {
                "goal": goal.title,
                "by": "you" if comment.author_id == patient.pk else _name(comment.author),
                "text": comment.text,
                "written_at": when(comment.created_at),
            }
            for comment in goal.comments.all()
        ]
        goal_comments.extend(comments)
        goals.append(
            {
                "title": goal.title,
                "why_it_matters": goal.why_it_matters,
                "status": goal.get_status_display(),
                "added_by": _name(goal.created_by),
                "added_at": when(goal.created_at),
                "comments": [{k: c[k] for k in ("by", "text", "written_at")} for c in comments],
            }
        )

    shared = (
        PreSessionSummary.objects.filter(
            appointment__patient=patient, status=PreSessionSummary.Status.SHARED
        )
        .select_related("appointment__therapist")
        .order_by("appointment__starts_at", "version")
    )
    summaries = [
        {
            "session_at": when(summary.appointment.starts_at),
            "therapist": _name(summary.appointment.therapist),
            "version": summary.version,
            "from_day": when(summary.period_start),
            "to_day": when(summary.period_end),
            "shared_at": when(summary.shared_at),
            "content": summary.snapshot,
        }
        for summary in shared
    ]
    accesses = list(
        AccessRecord.objects.filter(patient=patient).select_related("viewer").order_by("at", "pk")
    )
    summary_of = {
        str(summary.pk): summary
        for summary in PreSessionSummary.objects.filter(
            appointment__patient=patient
        ).select_related("appointment")
    }
    openings = [
        {
            "session_at": when(summary_of[event.object_id].appointment.starts_at),
            "version": summary_of[event.object_id].version,
            "opened_by": _name(event.viewer),
            "opened_at": when(event.at),
        }
        for event in accesses
        if event.kind == AccessRecord.Kind.SUMMARY and event.object_id in summary_of
    ]
    summary_links = [
        {
            "session_at": when(link.summary.appointment.starts_at),
            "version": link.summary.version,
            "made_at": when(link.created_at),
            "expires_at": when(link.expires_at),
            "needs_a_code": bool(link.code_hash),
            "stopped_at": when(link.revoked_at),
            "openings": [
                {"at": when(opening.at), "as_pdf": opening.as_pdf}
                for opening in link.openings.all()
            ],
            "emailed_to": [
                {"address": email.address, "at": when(email.created_at)}
                for email in link.emails.all()
            ],
        }
        for link in SummaryLink.objects.filter(summary__appointment__patient=patient)
        .select_related("summary__appointment")
        .prefetch_related("openings", "emails")
        .order_by("created_at", "pk")
    ]
    access_log = [
        {
            "opened_by": "you" if event.viewer_id == patient.pk else _name(event.viewer),
            "what": event.get_kind_display(),
            "at": when(event.at),
        }
        for event in accesses
    ]

    feedback, replies = [], []
    for item in (
        SessionFeedback.objects.filter(patient=patient)
        .select_related("therapist", "alert")
        .order_by("session_at")
    ):
        alert = getattr(item, "alert", None)
        reply = alert.reply if alert else ""
        feedback.append(
            {
                "session_at": when(item.session_at),
                "therapist": _name(item.therapist),
                "feeling_heard_and_respected": item.bond,
                "working_on_what_matters": item.goals,
                "the_approach_fits": item.approach,
                "overall": item.overall,
                "comment": item.comment,
                "talk_about_it_next_time": item.discuss_next_time,
                "who_sees_it": item.get_visibility_display(),
                "written_at": when(item.created_at),
                "changed_at": when(item.updated_at),
                "therapist_reply": reply or None,
            }
        )
        if reply:
            replies.append(
                {
                    "session_at": when(item.session_at),
                    "from": _name(item.therapist),
                    "reply": reply,
                    "read_by_therapist_at": when(alert.acknowledged_at),
                }
            )

    escalations = [
        {
            "session_at": when(escalation.feedback.session_at),
            "message": escalation.message,
            "therapist_may_know": escalation.therapist_may_know,
            "sent_at": when(escalation.created_at),
            "handled_at": when(escalation.handled_at),
        }
        for escalation in Escalation.objects.filter(feedback__patient=patient)
        .select_related("feedback")
        .order_by("created_at")
    ]

    email_preference = EmailPreference.objects.filter(user=patient).first()
    preferences = {}
    if email_preference:
        for field in EmailPreference._meta.concrete_fields:
            if field.name not in ("id", "user"):
                preferences[f"email_{field.name}"] = when(getattr(email_preference, field.name))
    prep_preference = PrepPreference.objects.filter(patient=patient).first()
    preferences["share_summaries_automatically"] = bool(
        prep_preference and prep_preference.share_automatically
    )
    # None: never answered (nothing is shared).
    preferences["share_week_at_a_glance"] = patient.shares_overview
    plan = MeasurePlan.objects.filter(patient=patient).first()
    preferences["questionnaires_every_days"] = (
        plan.interval_days if plan else measures.interval_days(patient)
    )

    return {
        "account": [
            {
                "email": patient.email,
                "first_name": patient.first_name,
                "last_name": patient.last_name,
                "time_zone": patient.timezone,
                "daily_reminder_time": patient.reminder_time.isoformat(timespec="minutes"),
                "phone": patient.phone,
                "joined_at": when(patient.date_joined),
            }
        ],
        "daily_entries": entries,
        "symptom_ratings": rating_rows,
        "symptoms": [
            {
                "name": symptom.name,
                "added_at": when(symptom.created_at),
                "stopped_tracking_at": when(symptom.retired_at),
            }
            for symptom in Symptom.objects.filter(patient=patient).order_by("created_at")
        ],
        "parked_topics": [
            {
                "title": topic.title,
                "title_may_appear_in_summary": topic.show_title_in_summary,
                "parked_at": when(topic.created_at),
            }
            for topic in ParkedTopic.objects.filter(patient=patient).order_by("created_at")
        ],
        "questionnaires": questionnaires,
        "safety_alerts": [
            {
                "from": alert.get_source_display(),
                "at": when(alert.created_at),
                "seen_by_therapist_at": when(alert.acknowledged_at),
            }
            for alert in SafetyAlert.objects.filter(patient=patient).order_by("created_at")
        ],
        "safety_contacts": [
            {
                "alert_at": when(contact.alert.created_at),
                "therapist": _name(contact.therapist),
                "contacted_at": when(contact.contacted_at),
                "what_they_did": contact.note,
            }
            for contact in SafetyContact.objects.filter(alert__patient=patient)
            .select_related("alert", "therapist")
            .order_by("contacted_at", "pk")
        ],
        "agenda": [
            {
                "kind": item.get_kind_display(),
                "text": item.text,
                "added_at": when(item.created_at),
                "talked_about_at": when(item.done_at),
            }
            for item in AgendaItem.objects.filter(patient=patient).order_by("created_at")
        ],
        "goals": goals,
        "goal_comments": goal_comments,
        "homework": [
            {
                "description": item.description,
                "set_by": _name(item.set_by),
                "after_session_at": when(item.appointment.starts_at) if item.appointment else None,
                "due_on": when(item.due_on),
                "done_at": when(item.done_at),
                "set_at": when(item.created_at),
            }
            for item in Homework.objects.filter(patient=patient)
            .select_related("set_by", "appointment")
            .order_by("created_at")
        ],
        "shared_summaries": summaries,
        "summary_openings": openings,
        "summary_links": summary_links,
        "access_log": access_log,
        "feedback": feedback,
        "replies": replies,
        "escalations": escalations,
        "appointments": [
            {
                "starts_at": when(appointment.starts_at),
                "ends_at": when(appointment.ends_at),
                # An own session's therapist is the name the patient typed.
                "therapist": appointment.with_whom or None,
                "kind": appointment.get_kind_display(),
                "location": appointment.location,
                "what_happened": appointment.get_outcome_display() or None,
                "you_confirmed_at": when(appointment.confirmed_at),
                "booked_at": when(appointment.created_at),
            }
            for appointment in Appointment.objects.filter(patient=patient)
            .select_related("therapist")
            .order_by("starts_at")
        ],
        "session_series": [
            {
                "therapist": series.therapist_name,
                "kind": series.get_kind_display(),
                "location": series.location,
                "repeats": series.get_every_weeks_display(),
                "first_session_at": when(series.first_starts_at),
                "length_minutes": series.duration_minutes,
                "stopped_at": when(series.ended_at),
                "added_at": when(series.created_at),
            }
            for series in SessionSeries.objects.filter(patient=patient).order_by("created_at")
        ],
        "calendar_feeds": [
            {"made_at": when(feed.created_at), "stopped_at": when(feed.revoked_at)}
            for feed in CalendarFeed.objects.filter(owner=patient).order_by("created_at")
        ],
        "preferences": [preferences],
        "emails": [
            {
                "email": message.label,
                "due_at": when(message.due_at),
                "status": message.get_status_display(),
                "sent_at": when(message.sent_at),
            }
            for message in Message.objects.filter(recipient=patient).order_by("due_at")
        ],
    }


def _csv(rows: list[dict]) -> str:
    """One line per row; a nested value (a list, a summary) is written as JSON and
    an unanswered one (None) as an empty cell."""
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                key: json.dumps(value, ensure_ascii=False)
                if isinstance(value, list | dict)
                else ("" if value is None else value)
                for key, value in row.items()
            }
        )
    return out.getvalue()


def _uuid(kind: str, pk) -> str:
    """A stable id for one resource: the same response gets the same id in every
    download, and it says nothing about the patient."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{settings.SITE_URL}/fhir/{kind}/{pk}"))


def fhir_bundle(patient: User) -> dict:
    """The patient's questionnaires as a FHIR R4 Bundle (type collection): a
    Patient holding nothing but an id, then for each response a
    QuestionnaireResponse (one item per question, linkId the item's LOINC code,
    valueInteger the answer) and an Observation of its total (LOINC 44261-6 or
    70274-6), derived from the response."""
    zone = _zone(patient)
    patient_id = _uuid("Patient", patient.pk)
    subject = {"reference": f"urn:uuid:{patient_id}"}
    entries = [
        {
            "fullUrl": f"urn:uuid:{patient_id}",
            "resource": {"resourceType": "Patient", "id": patient_id},
        }
    ]
    for response in MeasureResponse.objects.filter(patient=patient).order_by("taken_at"):
        codes = FHIR_QUESTIONNAIRES[response.kind]
        questionnaire = measures.QUESTIONNAIRES[response.kind]
        taken_at = _when(response.taken_at, zone)
        items = [
            {"linkId": link_id, "text": text, "answer": [{"valueInteger": answer}]}
            for link_id, text, answer in zip(
                codes["items"], questionnaire.items, response.answers, strict=True
            )
        ]
        if response.difficulty is not None:
            items.append(
                {
                    "linkId": "difficulty",
                    "text": measures.DIFFICULTY_QUESTION,
                    "answer": [{"valueInteger": response.difficulty}],
                }
            )
        response_id = _uuid("QuestionnaireResponse", response.pk)
        entries.append(
            {
                "fullUrl": f"urn:uuid:{response_id}",
                "resource": {
                    "resourceType": "QuestionnaireResponse",
                    "id": response_id,
                    "questionnaire": f"{LOINC}/q/{codes['panel']}",
                    "status": "completed",
                    "subject": subject,
                    "authored": taken_at,
                    "item": items,
                },
            }
        )
        observation_id = _uuid("Observation", response.pk)
        entries.append(
            {
                "fullUrl": f"urn:uuid:{observation_id}",
                "resource": {
                    "resourceType": "Observation",
                    "id": observation_id,
                    "status": "final",
                    "category": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "observation-category",
                                    "code": "survey",
                                    "display": "Survey",
                                }
                            ]
                        }
                    ],
                    "code": {
                        "coding": [
                            {
                                "system": LOINC,
                                "code": codes["total"],
                                "display": codes["total_display"],
                            }
                        ],
                        "text": f"{questionnaire.name} total score",
                    },
                    "subject": subject,
                    "effectiveDateTime": taken_at,
                    "valueInteger": response.total,
                    "interpretation": [{"text": response.band.capitalize()}],
                    "derivedFrom": [{"reference": f"urn:uuid:{response_id}"}],
                },
            }
        )
    return {
        "resourceType": "Bundle",
        "id": _uuid("Bundle", f"{patient.pk}/{timezone.now().isoformat()}"),
        "type": "collection",
        "timestamp": _when(timezone.now(), zone),
        "entry": entries,
    }


def export_zip(patient: User) -> bytes:
    """Everything of this patient's, as the bytes of a zip file. The one thing it
    writes is the access log's note that the patient downloaded their data."""
    audit.record(patient, patient, audit.Kind.EXPORT)
    sections = _sections(patient)
    made_on = timezone.localtime(timezone=_zone(patient))
    listing = "\n\n".join(
        f"{name}.json, {name}.csv\n"
        + textwrap.fill(about, 78, initial_indent="    ", subsequent_indent="    ")
        for name, about in SECTIONS
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "README.txt",
            README.format(
                made_on=made_on.strftime("%-d %B %Y at %H:%M"),
                zone=patient.timezone,
                sections=listing,
            ),
        )
        for name, _about in SECTIONS:
            rows = sections[name]
            archive.writestr(
                f"{name}.json", json.dumps(rows, ensure_ascii=False, indent=2, default=str)
            )
            # With a byte order mark, so spreadsheets read accents and dashes right.
            archive.writestr(f"{name}.csv", _csv(rows).encode("utf-8-sig"))
        archive.writestr(
            "fhir/questionnaires.json",
            json.dumps(fhir_bundle(patient), ensure_ascii=False, indent=2),
        )
    return buffer.getvalue()


def export_filename(patient: User) -> str:
    return f"between-sessions-my-data-{patient.today().isoformat()}.zip"


# Erasure ----------------------------------------------------------------------


class _EveryRow(Collector):
    """Django's delete collector, made to load every row it will delete (none is
    deleted "fast", unseen), so the outbox rows and admin log entries about them
    can be found before they go."""

    def can_fast_delete(self, *args, **kwargs):
        return False


def references_to(model) -> list[tuple[type, str]]:
    """Every (model, field name) whose foreign key or one-to-one field points at
    `model`, across every installed app, including the tables Django makes for
    many-to-many fields (a user's groups and permissions)."""
    found = []
    for candidate in apps.get_models(include_auto_created=True):
        for field in candidate._meta.concrete_fields:
            if isinstance(field, ForeignKey | OneToOneField) and field.related_model is model:
                found.append((candidate, field.name))
    return found


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def what_goes(patient: User) -> dict:
    """In plain words, what deleting this account removes and what it leaves, for
    the page that asks. Counting only: nothing is written."""
    now = timezone.now()
    sessions = Appointment.objects.filter(patient=patient)
    upcoming = sessions.filter(outcome="", starts_at__gt=now)
    therapists = (
        User.objects.filter(appointments_given__patient=patient)
        .distinct()
        .order_by("first_name", "last_name")
    )
    return {
        "goes": [
            "Your journal: "
            + _count(DailyEntry.objects.filter(patient=patient).count(), "day", "days")
            + " of entries, your symptoms and parked topics.",
            "Your PHQ-9 and GAD-7 answers and scores: "
            + _count(
                MeasureResponse.objects.filter(patient=patient).count(),
                "questionnaire",
                "questionnaires",
            )
            + ".",
            "Your summaries: "
            + _count(
                PreSessionSummary.objects.filter(
                    appointment__patient=patient, status=PreSessionSummary.Status.SHARED
                ).count(),
                "shared summary",
                "shared summaries",
            )
            + " and any draft, also from your therapist’s view.",
            "Your feedback: "
            + _count(
                SessionFeedback.objects.filter(patient=patient).count(),
                "session rated",
                "sessions rated",
            )
            + ", with any reply and anything you sent to the practice manager.",
            "Your goals, homework and agenda, with every comment on them.",
            "Emails not sent yet: "
            + _count(
                Message.objects.pending().filter(recipient=patient).count(),
                "email to you",
                "emails to you",
            )
            + ", and any about you to your therapist.",
            "Your email settings, and your name on the record of who opened your data "
            "(that record keeps only that something was opened, and when).",
            "Your name, email address and password. You won’t be able to sign in again.",
        ],
        "past_sessions": sessions.filter(starts_at__lte=now).count(),
        "upcoming_sessions": upcoming.count(),
        "therapists": list(therapists),
    }


def former_patient_sessions(therapist: User):
    """The sessions this therapist held (or had booked) with patients who have since
    deleted their accounts: only the time and what happened are left."""
    return (
        Appointment.objects.filter(
            therapist=therapist,
            patient__is_active=False,
            patient__email__endswith=f"@{ERASED_EMAIL_DOMAIN}",
        )
        .select_related("patient")
        .order_by("-starts_at")
    )


def _delete_sessions_of(user: User) -> None:
    """Sign the person out everywhere: their stored sessions go (with whatever a
    session held, such as messages shown after a save). An engine that keeps
    sessions elsewhere (signed cookies, the cache) is closed by the unusable
    password instead, which no session's hash can match."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        return
    user_id = str(user.pk)
    for key, data in store.get_model_class().objects.values_list("session_key", "session_data"):
        if store().decode(data).get("_auth_user_id") == user_id:
            store(session_key=key).delete()


@transaction.atomic
def erase(patient: User) -> bool:
    """Delete this patient's account. Returns False if it was erased already (a
    second press, or two at once: the user row is locked first, so the second
    waits and then finds nothing to do)."""
    patient = User.objects.select_for_update().get(pk=patient.pk)
    if patient.is_erased:
        return False
    now = timezone.now()
    using = router.db_for_write(User)
    appointments = Appointment.objects.filter(patient=patient)
    appointment_ids = list(appointments.values_list("pk", flat=True))

    collector = _EveryRow(using=using)
    # 1. Every row of every model that points at the patient, except the sessions.
    for model, field in references_to(User):
        if (model, field) in KEPT or model is AccessRecord:
            continue
        collector.collect(model._base_manager.using(using).filter(**{field: patient}))
    # 2. Everything hanging off the sessions that stay: summaries (and who opened
    # them), feedback, homework set after a session.
    for model, field in references_to(Appointment):
        collector.collect(
            model._base_manager.using(using).filter(**{f"{field}__in": appointment_ids})
        )
    # 2b. Their own sessions (no therapist on the app keeps a record of them) go
    # whole, with the name they typed.
    collector.collect(appointments.filter(therapist=None))
    # 3. Invitations to their address, accepted or not: they hold the address and
    # the name the therapist typed.
    collector.collect(Invitation.objects.using(using).filter(email__iexact=patient.email))
    # 4. Emails not sent yet about any of it, to whomever they were going.
    gone = {model: {obj.pk for obj in objs} for model, objs in collector.data.items()}
    gone[Appointment] = set(appointment_ids)
    gone[User] = {patient.pk}
    about = Q(pk__in=[])
    for kind_name in Message.objects.pending().values_list("kind", flat=True).distinct():
        target = outbox_target(kind_name)
        if target is not None and gone.get(target):
            about |= Q(kind=kind_name, target_id__in=gone[target])
    collector.collect(Message.objects.using(using).pending().filter(about))

    # The admin's change log names what it changed: those names go with the rows.
    for model, objs in collector.data.items():
        if model._meta.auto_created:
            continue
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model, for_concrete_model=False),
            object_id__in=[str(obj.pk) for obj in objs],
        ).update(object_repr="(erased)", change_message="")
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(patient.pk)
    ).update(object_repr="Former patient", change_message="")

    collector.delete()

    # The access log keeps that someone's data was read, and when, but no longer
    # whose; the erasure itself goes on the record without the patient's identity.
    AccessRecord.objects.forget_patient(patient)
    audit.record_erasure()

    # The sessions stay as "session held on …": nothing about where, and sessions
    # still to come are cancelled by the patient's leaving.
    appointments.filter(outcome="", starts_at__gt=now).update(
        outcome=Appointment.Outcome.CANCELLED_BY_PATIENT, outcome_recorded_at=now
    )
    appointments.update(location="")

    # Forms the patient sent are remembered by their plain user id (core knows no
    # users), not by a foreign key.
    SubmissionToken.objects.filter(user_id=patient.pk).delete()
    _delete_sessions_of(patient)

    patient.email = f"erased-{patient.pk}@{ERASED_EMAIL_DOMAIN}"
    patient.first_name = ""
    patient.last_name = ""
    patient.set_unusable_password()
    patient.is_active = False
    patient.is_staff = False
    patient.is_superuser = False
    patient.last_login = None
    patient.reminder_time = User._meta.get_field("reminder_time").get_default()
    patient.phone = None
    patient.shares_overview = None
    patient.save()
    return True
