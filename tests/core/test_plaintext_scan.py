"""No one's own words are readable in a copy of the database.

People write unique markers through the pages, as they would (a patient, their
therapist, the practice manager), into every free-text field anyone can type; the
outbox is delivered; then every text, varchar and JSON column of every table is read
with raw SQL. A marker may appear in plain text only where it is meant to:

- accounts_user.first_name / last_name: the names people give their own accounts,
  needed to greet them, to address email and for a therapist to find a patient.
- Email addresses (accounts_user.email, account_emailaddress.email) are needed to
  sign in and to send email; no marker is typed there, as they are not free text.

Everything else a person types is stored encrypted (see SECURITY.md, "Data at rest").
"""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from core.fields import EncryptedTextField, encrypted_fields
from feedback.questions import RATINGS
from journal.models import Symptom
from tests.factories import AttendedAppointmentFactory

# Letters only, so that every field accepts them (names refuse digits and links).
MARKERS = {
    "thoughts": "Quorvalthoughtsmark",
    "symptom": "Quorvalsymptommark",
    "symptom_renamed": "Quorvalrenamedmark",
    "parked": "Quorvalparkedmark",
    "agenda": "Quorvalagendamark",
    "summary_agenda": "Quorvalsummaryagendamark",
    "goal_title": "Quorvalgoaltitlemark",
    "goal_why": "Quorvalgoalwhymark",
    "goal_comment_patient": "Quorvalpatientcommentmark",
    "goal_comment_therapist": "Quorvaltherapistcommentmark",
    "homework": "Quorvalhomeworkmark",
    "feedback_comment": "Quorvalfeedbackmark",
    "escalation": "Quorvalescalationmark",
    "alert_reply": "Quorvalreplymark",
    "location": "Quorvallocationmark",
    "invitation_name": "Quorvalinvitemark",
    "safety_contact": "Quorvalsafetycontactmark",
    # Deliberately plain: a person's name on their own account.
    "patient_first": "Quorvalpatientfirst",
    "patient_last": "Quorvalpatientlast",
    "therapist_first": "Quorvaltherapistfirst",
}

PLAIN_NAMES = {
    "patient_first": {("accounts_user", "first_name")},
    "patient_last": {("accounts_user", "last_name")},
    "therapist_first": {("accounts_user", "first_name")},
}

TEXT_TYPES = {"CharField", "TextField", "JSONField", "EmailField", "SlugField"}


def text_columns() -> list[tuple[str, str]]:
    """Every column of every table that can hold text, from the database itself."""
    columns = []
    with connection.cursor() as cursor:
        for table in connection.introspection.get_table_list(cursor):
            if table.type != "t":
                continue
            for column in connection.introspection.get_table_description(cursor, table.name):
                try:
                    kind = connection.introspection.get_field_type(column.type_code, column)
                except KeyError:
                    continue
                if kind in TEXT_TYPES:
                    columns.append((table.name, column.name))
    return columns


def where_found(markers: dict[str, str]) -> dict[str, set[tuple[str, str]]]:
    found: dict[str, set[tuple[str, str]]] = {key: set() for key in markers}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, column in text_columns():
            cursor.execute(f"SELECT {quote(column)} FROM {quote(table)}")  # noqa: S608
            for (value,) in cursor.fetchall():
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                text = text.casefold()
                for key, marker in markers.items():
                    if marker.casefold() in text:
                        found[key].add((table, column))
    return found


def decrypted_values() -> str:
    """What the encrypted columns say when read through the models: proves each
    marker was really saved (a refused form would make the scan pass for nothing)."""
    parts = []
    for model, name in encrypted_fields():
        field = model._meta.get_field(name)
        for value in model._base_manager.values_list(name, flat=True):
            if isinstance(field, EncryptedTextField) and not isinstance(value, str):
                value = json.dumps(value, ensure_ascii=False)
            parts.append(value or "")
    return "\n".join(parts)


def posted(client, url: str, data: dict, expected: int = 302):
    response = client.post(url, data)
    assert response.status_code == expected, (url, response.content.decode()[:2000])
    return response


def form_values(client, url: str) -> dict:
    from tests.appointments.form_page import read_form

    return dict(read_form(client.get(url).content.decode()).values)


@pytest.mark.django_db
def test_no_marker_typed_anywhere_is_stored_in_plain_text(
    client, patient, therapist, manager, deliver_outbox
):
    M = MARKERS
    session = AttendedAppointmentFactory(therapist=therapist, patient=patient)

    # The therapist: names, a booking with a place, a goal, a comment, homework and
    # an invitation.
    client.force_login(therapist)
    profile = form_values(client, reverse("accounts:profile"))
    posted(client, reverse("accounts:profile"), profile | {"first_name": M["therapist_first"]})
    day = (timezone.localdate(timezone=therapist.zone) + timedelta(days=3)).isoformat()
    booking = {
        "patient": patient.pk,
        "day": day,
        "start": "14:00",
        "duration": "50",
        "kind": "in_person",
        "location": f"{M['location']} Room 2",
    }
    posted(client, reverse("appointments:appointment_new"), booking)
    posted(
        client,
        reverse("prep:add_goal", args=[patient.pk]),
        {"title": M["goal_title"], "why_it_matters": M["goal_why"]},
    )
    goal_id = re.search(r"#goal-(\d+)", client.post(
        reverse("prep:add_goal", args=[patient.pk]), {"title": "Sleep better"}
    ).url).group(1)  # fmt: skip
    posted(
        client,
        reverse("prep:comment_on_goal", args=[goal_id]),
        {"text": M["goal_comment_therapist"]},
    )
    posted(client, reverse("prep:add_homework", args=[patient.pk]), {"description": M["homework"]})
    posted(
        client,
        reverse("accounts:invite_patient"),
        {"email": "robin@example.com", "first_name": M["invitation_name"]},
    )

    # The patient: names, a day's log with a symptom of their own, a parked topic,
    # the agenda, a comment on the goal, feedback that goes to the manager, and a
    # summary shared with their own words in it.
    client.force_login(patient)
    profile = form_values(client, reverse("accounts:profile"))
    posted(
        client,
        reverse("accounts:profile"),
        profile | {"first_name": M["patient_first"], "last_name": M["patient_last"]},
    )
    posted(client, reverse("journal:symptoms"), {"name": M["symptom"]})
    posted(client, reverse("journal:symptoms"), {"name": "Headache"})
    headache = Symptom.objects.active().filter(patient=patient).named("headache").get()
    posted(
        client,
        reverse("journal:rename_symptom", args=[headache.pk]),
        {"name": M["symptom_renamed"]},
    )
    [mine] = Symptom.objects.filter(patient=patient).named(M["symptom"])
    posted(
        client,
        reverse("journal:entry", args=[patient.today()]),
        {
            "mood": "4",
            "anxiety": "6",
            "energy": "3",
            "sleep_hours": "6.5",
            "homework_done": "no",
            "thoughts": f"{M['thoughts']} at dinner",
            "discuss_next_session": "on",
            f"symptom_{mine.pk}": "2",
            f"symptom_{headache.pk}": "1",
        },
    )
    posted(
        client,
        reverse("journal:parked_topics"),
        {"title": M["parked"], "show_title_in_summary": "on"},
    )
    posted(client, reverse("prep:agenda"), {"kind": "topic", "text": M["agenda"]})
    posted(
        client, reverse("prep:comment_on_goal", args=[goal_id]), {"text": M["goal_comment_patient"]}
    )
    posted(
        client,
        reverse("feedback:give_feedback", args=[session.pk]),
        {name: 3 for name in RATINGS}
        | {
            "comment": M["feedback_comment"],
            "visibility": "shared",
            "escalate": "on",
            "escalation_message": M["escalation"],
        },
    )
    upcoming = patient.appointments.filter(starts_at__gt=timezone.now()).get()
    review = reverse("prep:summary_review", args=[upcoming.pk])
    posted(client, reverse("prep:summary_generate", args=[upcoming.pk]), {})
    posted(
        client,
        reverse("prep:summary_add_agenda", args=[upcoming.pk]),
        {"kind": "topic", "text": M["summary_agenda"]},
    )
    page = client.get(review).content.decode()
    shown = re.findall(r'name="show" value="([^"]+)"', page)
    thoughts = re.findall(r'name="thought" value="(\d+)"', page)
    assert thoughts, "the review page offers the day's own words"
    posted(
        client,
        reverse("prep:summary_choices", args=[upcoming.pk]),
        {"show": shown, "thought": thoughts, "action": "share"},
    )

    # The therapist reads the summary and replies to the feedback; the manager
    # handles the escalation.
    client.force_login(therapist)
    assert (
        M["thoughts"]
        in client.get(reverse("prep:summary_read", args=[upcoming.pk])).content.decode()
    )
    from feedback.models import AllianceAlert, Escalation

    alert = AllianceAlert.objects.get()
    posted(client, reverse("feedback:alert_detail", args=[alert.pk]), {"reply": M["alert_reply"]})
    # What the therapist did after a safety alert, in their words.
    from journal.models import SafetyAlert

    safety_alert = SafetyAlert.objects.create(patient=patient, source="daily_log")
    posted(
        client,
        reverse("journal:safety_alert", args=[safety_alert.pk]),
        {
            "contacted_at": timezone.localtime(timezone=therapist.zone).strftime("%Y-%m-%dT%H:%M"),
            "note": f"{M['safety_contact']} phoned",
        },
    )
    client.force_login(manager)
    posted(client, reverse("feedback:escalation_handled", args=[Escalation.objects.get().pk]), {})

    assert deliver_outbox() > 0

    stored = decrypted_values().casefold()
    encrypted = {key: marker for key, marker in M.items() if key not in PLAIN_NAMES}
    never_saved = [key for key, marker in encrypted.items() if marker.casefold() not in stored]
    assert never_saved == []

    found = where_found(M)
    leaks = {
        key: sorted(columns - PLAIN_NAMES.get(key, set()))
        for key, columns in found.items()
        if columns - PLAIN_NAMES.get(key, set())
    }
    assert leaks == {}
    # The scan does see plain text where it is: the account names.
    assert found["patient_first"] == {("accounts_user", "first_name")}
    assert found["therapist_first"] == {("accounts_user", "first_name")}


@pytest.mark.django_db
def test_the_scan_reads_every_table_the_models_create():
    """Nothing is left out of the scan: every model's text columns are in it."""
    from django.apps import apps

    scanned = set(text_columns())
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if field.get_internal_type() in TEXT_TYPES or isinstance(field, EncryptedTextField):
                assert (model._meta.db_table, field.column) in scanned, (model, field.name)


def test_the_scan_finds_plain_text_in_text_and_json_columns(patient):
    """The scan is not blind: plain words put straight into a text column and a
    JSON column are found there."""
    from tests.factories import DailyEntryFactory, MeasureResponseFactory

    entry = DailyEntryFactory(patient=patient)
    measure = MeasureResponseFactory(patient=patient)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE journal_dailyentry SET thoughts = %s WHERE id = %s",
            ["plain Quorvalleakmark words", entry.pk],
        )
        cursor.execute(
            "UPDATE journal_measureresponse SET answers = %s WHERE id = %s",
            ['["Quorvaljsonmark"]', measure.pk],
        )
    found = where_found({"text": "quorvalleakmark", "json": "QUORVALJSONMARK"})
    assert found == {
        "text": {("journal_dailyentry", "thoughts")},
        "json": {("journal_measureresponse", "answers")},
    }
