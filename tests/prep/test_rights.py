"""A patient's rights in two clicks: "Download my data" gives a zip of everything
they wrote or answered (and nothing of anyone else's), their questionnaires also
as FHIR R4; "Delete my account" asks for the password again, then leaves nothing
of theirs but an anonymised row holding the sessions their therapist keeps."""

import csv
import io
import json
import zipfile
from datetime import datetime, timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import ForeignKey, OneToOneField
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import audit
from accounts.models import User
from appointments import feed
from appointments.models import Appointment, SessionSeries
from core.models import SubmissionToken
from feedback.models import SessionFeedback
from journal import measures, safety
from journal.models import MeasurePlan, ParkedTopic
from notifications import kinds
from notifications.models import EmailPreference, Message
from prep import links, privacy, summaries
from prep.models import GoalComment, PrepPreference, SummaryLinkEmail
from tests.conftest import PEOPLE, assert_access
from tests.factories import (
    PASSWORD,
    AgendaItemFactory,
    AllianceAlertFactory,
    AttendedAppointmentFactory,
    DailyEntryFactory,
    EscalationFactory,
    GoalFactory,
    HomeworkFactory,
    InvitationFactory,
    SessionFeedbackFactory,
    SymptomFactory,
    SymptomRatingFactory,
    book_session,
)

MINE = "Zebraquill"
THEIRS = "Owlfennel"

MY_DATA = reverse("prep:my_data")
DELETE = reverse("prep:delete_account")
REAUTHENTICATE = reverse("account_reauthenticate")


def seed(patient, therapist, mark: str, *, days_ahead: int = 3) -> dict:
    """Something of every kind a patient has, each holding `mark`."""
    now = timezone.now()
    patient.first_name, patient.last_name = f"{mark}Sam", f"{mark}Patel"
    patient.save()
    today = patient.today()
    symptom = SymptomFactory(patient=patient, name=f"{mark} headaches")
    entry = DailyEntryFactory(
        patient=patient,
        day=today - timedelta(days=1),
        mood=None,  # left unanswered
        anxiety=7,
        thoughts=f"{mark} thoughts about the weekend",
        self_harm_thoughts=True,
    )
    SymptomRatingFactory(entry=entry, symptom=symptom, severity=2)
    safety.raise_for_entry(entry)
    measures.record(patient, measures.PHQ9, [1, 2, 0, 1, 0, 3, 1, 0, 0], difficulty=1)
    measures.record(patient, measures.GAD7, [2, 2, 1, 1, 0, 0, 3])
    ParkedTopic.objects.create(patient=patient, title=f"{mark} parked topic")
    AgendaItemFactory(patient=patient, text=f"{mark} agenda item")
    goal = GoalFactory(patient=patient, title=f"{mark} goal", created_by=therapist)
    GoalComment.objects.create(goal=goal, author=patient, text=f"{mark} my comment")
    GoalComment.objects.create(goal=goal, author=therapist, text=f"{mark} therapist comment")
    past = AttendedAppointmentFactory(therapist=therapist, patient=patient, location=f"{mark} room")
    HomeworkFactory(
        patient=patient, description=f"{mark} homework", set_by=therapist, appointment=past
    )
    feedback = SessionFeedbackFactory.for_session(past, bond=None, goals=3, comment=f"{mark} fb")
    AllianceAlertFactory(feedback=feedback, reply=f"{mark} reply", acknowledged_at=now)
    EscalationFactory(feedback=feedback, message=f"{mark} escalation")
    upcoming = book_session(
        therapist, patient, now.replace(minute=0, second=0, microsecond=0) + timedelta(
            days=days_ahead
        ), location=f"{mark} address"
    )  # fmt: skip
    shared = summaries.share(upcoming)
    audit.record(therapist, patient, audit.Kind.SUMMARY, shared.pk)
    link = links.create(shared, days=7, code="4821")
    links.record_opening(link, as_pdf=True)
    SummaryLinkEmail.objects.create(link=link, address=f"{mark.lower()}.reader@example.org")
    SessionSeries.objects.create(
        patient=patient,
        therapist_name=f"{mark} own therapist",
        location=f"{mark} own room",
        every_weeks=SessionSeries.Every.FORTNIGHT,
        first_starts_at=now + timedelta(days=5),
        timezone=patient.timezone,
    )
    feed.make_feed(patient)
    EmailPreference.objects.create(user=patient, daily=False)
    PrepPreference.objects.create(patient=patient, share_automatically=True)
    MeasurePlan.objects.create(patient=patient, interval_days=21)
    InvitationFactory(
        therapist=therapist,
        email=patient.email,
        first_name=f"{mark}invited",
        accepted_by=patient,
        accepted_at=now,
    )
    Message.objects.create(
        key=f"sent-{patient.pk}",
        kind="daily_nudge",
        target_id=patient.pk,
        recipient=patient,
        due_at=now - timedelta(days=1),
        status=Message.Status.SENT,
        sent_at=now - timedelta(days=1),
    )
    SubmissionToken.objects.create(token=f"{mark}-token", user_id=patient.pk)
    Authenticator.objects.create(
        user=patient, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "x"}
    )
    return {"past": past, "upcoming": upcoming, "shared": shared}


def download(client, person=None) -> zipfile.ZipFile:
    if person is not None:
        client.force_login(person)
    response = client.post(MY_DATA)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="between-sessions')
    return zipfile.ZipFile(io.BytesIO(response.content))


def read_json(archive, name):
    return json.loads(archive.read(name))


def read_csv(archive, name):
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


@pytest.fixture
def two_patients(patient, therapist, other_patient, other_therapist):
    """Two patients of two therapists, each with something of every kind."""
    mine = seed(patient, therapist, MINE)
    theirs = seed(other_patient, other_therapist, THEIRS, days_ahead=4)
    return mine, theirs


# Who may ----------------------------------------------------------------------


@pytest.mark.parametrize("url", [MY_DATA, DELETE])
@pytest.mark.parametrize("who", PEOPLE)
def test_only_a_patient_reaches_their_own_rights_pages(client, people, who, url):
    expected = 200 if who in ("patient", "other_patient") else 404
    assert_access(client, people[who], "get", url, expected)


@pytest.mark.parametrize("url", [MY_DATA, DELETE])
@pytest.mark.parametrize("who", ["therapist", "other_therapist", "manager"])
def test_staff_posting_to_them_get_404_and_nothing_changes(client, people, who, url):
    client.force_login(people[who])
    assert client.post(url).status_code == 404
    assert User.objects.get(pk=people[who].pk).is_active


def test_the_settings_page_links_to_both_for_patients_only(client, patient, therapist):
    client.force_login(patient)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert MY_DATA in page and DELETE in page
    client.force_login(therapist)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert MY_DATA not in page and DELETE not in page


def snapshot_of_every_table() -> dict:
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
    }


def test_looking_at_the_pages_writes_nothing(client, patient, therapist):
    seed(patient, therapist, MINE)
    client.force_login(patient)
    before = snapshot_of_every_table()
    for url in (MY_DATA, DELETE):
        assert client.get(url).status_code == 200
        assert client.head(url).status_code == 200
    assert snapshot_of_every_table() == before


def test_the_download_writes_only_its_line_in_the_access_log(client, patient, therapist):
    seed(patient, therapist, MINE)
    client.force_login(patient)
    before = snapshot_of_every_table()
    download(client)
    after = snapshot_of_every_table()
    log = "accounts.AccessRecord"
    assert {k: v for k, v in after.items() if k != log} == {
        k: v for k, v in before.items() if k != log
    }
    [added] = after[log][len(before[log]) :]
    assert (added["kind"], added["viewer_id"], added["patient_id"]) == (
        "export",
        patient.pk,
        patient.pk,
    )


# The download -------------------------------------------------------------------


def test_the_zip_holds_everything_of_mine_and_nothing_of_anyone_elses(
    client, patient, other_patient, two_patients
):
    archive = download(client, patient)
    names = set(archive.namelist())
    expected = {"README.txt", "fhir/questionnaires.json"}
    for section, _about in privacy.SECTIONS:
        expected |= {f"{section}.json", f"{section}.csv"}
    assert names == expected

    everything = "\n".join(archive.read(name).decode("utf-8-sig") for name in names)
    for needle in (
        f"{MINE}Sam",
        f"{MINE} headaches",
        f"{MINE} thoughts about the weekend",
        f"{MINE} parked topic",
        f"{MINE} agenda item",
        f"{MINE} goal",
        f"{MINE} my comment",
        f"{MINE} therapist comment",
        f"{MINE} homework",
        f"{MINE} fb",
        f"{MINE} reply",
        f"{MINE} escalation",
        f"{MINE} address",
        f"{MINE.lower()}.reader@example.org",
        f"{MINE} own therapist",
        f"{MINE} own room",
        patient.email,
    ):
        assert needle in everything, needle
    # Nothing of the other patient's, in any file, in any form.
    assert THEIRS not in everything
    assert other_patient.email not in everything


def test_each_section_as_json_and_csv_with_unanswered_left_empty(client, patient, two_patients):
    archive = download(client, patient)

    [entry] = read_json(archive, "daily_entries.json")
    assert entry["mood"] is None  # unanswered, never 0
    assert entry["anxiety"] == 7
    assert entry["symptom_ratings"] == [
        {"symptom": f"{MINE} headaches", "severity": 2, "severity_meaning": "Moderate"}
    ]
    [row] = read_csv(archive, "daily_entries.csv")
    assert row["mood"] == "" and row["anxiety"] == "7"

    [link] = read_json(archive, "summary_links.json")
    assert link["needs_a_code"] is True and link["stopped_at"] is None
    assert [opening["as_pdf"] for opening in link["openings"]] == [True]
    assert [email["address"] for email in link["emailed_to"]] == [
        f"{MINE.lower()}.reader@example.org"
    ]
    [series] = read_json(archive, "session_series.json")
    assert (series["therapist"], series["repeats"]) == (f"{MINE} own therapist", "Every two weeks")
    [calendar_feed] = read_json(archive, "calendar_feeds.json")
    assert calendar_feed["stopped_at"] is None
    assert row["thoughts"] == f"{MINE} thoughts about the weekend"

    [feedback] = read_json(archive, "feedback.json")
    assert feedback["feeling_heard_and_respected"] is None
    assert feedback["working_on_what_matters"] == 3
    assert feedback["therapist_reply"] == f"{MINE} reply"
    [row] = read_csv(archive, "feedback.csv")
    assert row["feeling_heard_and_respected"] == ""

    phq, gad = read_json(archive, "questionnaires.json")
    assert (phq["questionnaire"], phq["total"], phq["item_9"]) == ("PHQ-9", 8, 0)
    assert (gad["questionnaire"], gad["total"], gad["difficulty"]) == ("GAD-7", 9, None)
    assert "item_8" not in gad

    [summary] = read_json(archive, "shared_summaries.json")
    assert summary["version"] == 1 and summary["content"]
    [opening] = read_json(archive, "summary_openings.json")
    assert opening["opened_by"] == "Dana Reyes"

    sessions = read_json(archive, "appointments.json")
    assert [s["what_happened"] for s in sessions] == ["Attended", None]
    # Times carry the patient's offset.
    assert datetime.fromisoformat(sessions[0]["starts_at"]).utcoffset() is not None

    [preferences] = read_json(archive, "preferences.json")
    assert preferences["email_daily"] is False
    assert preferences["share_summaries_automatically"] is True
    assert preferences["questionnaires_every_days"] == 21

    readme = archive.read("README.txt").decode()
    for section, _about in privacy.SECTIONS:
        assert f"{section}.json" in readme
    assert "fhir/questionnaires.json" in readme


def test_the_questionnaires_come_as_fhir_r4(client, patient, two_patients):
    archive = download(client, patient)
    bundle = read_json(archive, "fhir/questionnaires.json")
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    resources = {entry["fullUrl"]: entry["resource"] for entry in bundle["entry"]}
    by_type: dict[str, list] = {}
    for full_url, resource in resources.items():
        assert full_url == f"urn:uuid:{resource['id']}"
        by_type.setdefault(resource["resourceType"], []).append(resource)
    [fhir_patient] = by_type["Patient"]
    # The patient is only a number: no name, address, email or birth date.
    assert set(fhir_patient) == {"resourceType", "id"}
    text = archive.read("fhir/questionnaires.json").decode()
    assert MINE not in text and patient.email not in text

    responses = by_type["QuestionnaireResponse"]
    observations = by_type["Observation"]
    assert len(responses) == 2 and len(observations) == 2
    panels = {r["questionnaire"]: r for r in responses}
    phq = panels["http://loinc.org/q/44249-1"]
    gad = panels["http://loinc.org/q/69737-5"]
    assert phq["status"] == gad["status"] == "completed"
    assert [i["linkId"] for i in phq["item"]][:2] == ["44250-9", "44255-8"]
    assert [i["answer"][0]["valueInteger"] for i in phq["item"]] == [1, 2, 0, 1, 0, 3, 1, 0, 0, 1]
    assert phq["item"][-1]["linkId"] == "difficulty"
    assert len(gad["item"]) == 7  # no difficulty answered, so none is made up
    for response in responses:
        assert resources[response["subject"]["reference"]] is fhir_patient
        assert datetime.fromisoformat(response["authored"]).utcoffset() is not None
        for item in response["item"]:
            assert isinstance(item["linkId"], str) and item["text"]
            [answer] = item["answer"]
            assert type(answer["valueInteger"]) is int

    codes = {}
    for observation in observations:
        [coding] = observation["code"]["coding"]
        assert coding["system"] == "http://loinc.org"
        codes[coding["code"]] = observation
        assert observation["status"] == "final"
        assert observation["category"][0]["coding"][0]["code"] == "survey"
        assert resources[observation["subject"]["reference"]] is fhir_patient
        when = datetime.fromisoformat(observation["effectiveDateTime"])
        assert when.utcoffset() == timedelta(0) or when.utcoffset() == timedelta(hours=1)
        [derived] = observation["derivedFrom"]
        assert resources[derived["reference"]]["resourceType"] == "QuestionnaireResponse"
    assert set(codes) == {"44261-6", "70274-6"}
    assert codes["44261-6"]["valueInteger"] == 8
    assert codes["70274-6"]["valueInteger"] == 9


def test_the_download_costs_the_same_queries_however_much_there_is(client, patient, therapist):
    seed(patient, therapist, MINE)
    client.force_login(patient)
    with CaptureQueriesContext(connection) as few:
        client.post(MY_DATA)
    today = patient.today()
    for days_ago in range(2, 8):
        entry = DailyEntryFactory(patient=patient, day=today - timedelta(days=days_ago))
        SymptomRatingFactory(entry=entry, symptom=SymptomFactory(patient=patient))
        measures.record(patient, measures.GAD7, [1] * 7)
        GoalComment.objects.create(goal=GoalFactory(patient=patient), author=patient, text="x")
        HomeworkFactory(patient=patient, set_by=therapist)
        AgendaItemFactory(patient=patient)
        feedback = SessionFeedbackFactory(
            patient=patient, therapist=therapist, session_at=timezone.now() - timedelta(
                days=days_ago, hours=3
            )
        )  # fmt: skip
        AllianceAlertFactory(feedback=feedback, reply="Thank you")
        EscalationFactory(feedback=SessionFeedbackFactory(patient=patient, therapist=therapist))
    with CaptureQueriesContext(connection) as many:
        client.post(MY_DATA)
    assert len(many) == len(few)


# Deleting the account ---------------------------------------------------------


def test_the_page_says_what_goes_and_what_the_therapist_keeps(client, patient, two_patients):
    client.force_login(patient)
    page = client.get(DELETE).content.decode()
    assert "1 day of entries" in page
    assert "PHQ-9 and GAD-7 answers and scores: 2 questionnaires." in page
    assert "1 shared summary" in page
    assert "Only the dates of your sessions" in page
    assert "Former patient" in page
    assert "Dana Reyes" in page
    assert "Your booked session will be cancelled." in page
    assert "password" in page


def erase_through_the_pages(client, patient):
    """Press delete, confirm with the password, land on the goodbye page."""
    client.force_login(patient)
    asked = client.post(DELETE)
    assert asked.status_code == 302
    assert asked.url.startswith(REAUTHENTICATE)
    done = client.post(asked.url, {"password": PASSWORD})
    assert done.status_code == 302
    assert done.url == reverse("prep:account_deleted")
    return client.get(done.url)


def rows_pointing_at(user) -> dict[str, int]:
    """Every row of every table (Django's own and allauth's included) whose foreign
    key points at this user, by model and field."""
    found = {}
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if isinstance(field, ForeignKey | OneToOneField) and field.related_model is User:
                count = model._base_manager.filter(**{field.name: user}).count()
                if count:
                    found[f"{model._meta.label}.{field.name}"] = count
    return found


def text_columns():
    """Every text-like column of every table in the database, read from the
    database itself (not from the models), on PostgreSQL and SQLite alike."""
    text_types = {"CharField", "TextField", "JSONField", "EmailField", "SlugField", "URLField"}
    introspection = connection.introspection
    with connection.cursor() as cursor:
        for table in introspection.table_names(cursor):
            for column in introspection.get_table_description(cursor, table):
                try:
                    kind = introspection.get_field_type(column.type_code, column)
                except KeyError:
                    continue
                if kind in text_types:
                    yield table, column.name


def columns_containing(needle: str) -> list[str]:
    quote = connection.ops.quote_name
    found = []
    with connection.cursor() as cursor:
        for table, column in text_columns():
            cursor.execute(
                f"SELECT COUNT(*) FROM {quote(table)} "  # noqa: S608 (names from the schema)
                f"WHERE LOWER(CAST({quote(column)} AS TEXT)) LIKE %s",
                [f"%{needle.lower()}%"],
            )
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


def test_erasure_leaves_nothing_of_the_patient_but_the_sessions(
    client, patient, therapist, other_patient, manager, two_patients
):
    old_email = patient.email
    LogEntry.objects.create(
        user=manager,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(patient.pk),
        object_repr=f"{MINE}Sam {MINE}Patel",
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["First name"]}}]',
    )
    theirs_before = rows_pointing_at(other_patient)
    their_pending = set(Message.objects.pending().values_list("pk", flat=True)) - set(
        Message.objects.pending()
        .filter(recipient__in=[patient, therapist])
        .values_list("pk", flat=True)
    )
    assert columns_containing(MINE)  # the scan finds the patient while they are here

    goodbye = erase_through_the_pages(client, patient)
    assert "Your account is deleted" in goodbye.content.decode()

    # Only the user row, anonymised, and the sessions point at the patient now.
    assert rows_pointing_at(patient) == {"appointments.Appointment.patient": 2}
    erased = User.objects.get(pk=patient.pk)
    assert erased.email == f"erased-{patient.pk}@invalid"
    assert (erased.first_name, erased.last_name) == ("", "")
    assert not erased.has_usable_password()
    assert not erased.is_active and not erased.is_staff and not erased.is_superuser
    assert erased.timezone == "Europe/London"
    assert erased.display_name == "Former patient"
    # Nothing hangs off those sessions either: no summary, feedback or homework.
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, ForeignKey) and field.related_model is Appointment:
                assert not model._base_manager.filter(
                    **{f"{field.name}__patient": patient}
                ).exists(), model
    # The sessions keep only their time and what happened; the one still to come is
    # cancelled.
    past, upcoming = Appointment.objects.filter(patient=patient).order_by("starts_at")
    assert (past.outcome, past.location) == (Appointment.Outcome.ATTENDED, "")
    assert upcoming.outcome == Appointment.Outcome.CANCELLED_BY_PATIENT
    assert upcoming.location == ""
    # No email waits to go to or about the patient; everyone else's still wait.
    pending = Message.objects.pending()
    assert not pending.filter(recipient=patient).exists()
    assert not pending.filter(
        kind__in=[k for k, m in privacy.OUTBOX_TARGETS.items() if m is Appointment],
        target_id__in=[past.pk, upcoming.pk],
    ).exists()
    assert their_pending <= set(pending.values_list("pk", flat=True))
    assert not SubmissionToken.objects.filter(user_id=patient.pk).exists()

    # No text column anywhere holds a trace of them: not their words, name or address.
    assert columns_containing(MINE) == []
    assert columns_containing(old_email) == []
    # The scan does find what is still there: the other patient's name.
    assert "accounts_user.first_name" in columns_containing(THEIRS)
    assert rows_pointing_at(other_patient) == theirs_before


def test_erasure_covers_every_kind_of_email():
    """A new kind of email must say what its outbox rows are about, or erasure
    could leave one behind."""
    for name in kinds.KINDS:
        assert privacy.outbox_target(name) is not None, name


def test_the_therapist_keeps_only_former_patient_and_the_dates(
    client, patient, therapist, two_patients
):
    mine, _theirs = two_patients
    erase_through_the_pages(client, patient)
    client.force_login(therapist)
    page = client.get(reverse("prep:appointment_list")).content.decode()
    assert "Former patient" in page
    held = timezone.localtime(mine["past"].starts_at, therapist.zone)
    assert held.strftime("%a %-d %b %Y, %H:%M") in page
    assert "Session held" in page
    assert MINE not in page
    # They are no longer the therapist's patient: no page of theirs opens.
    assert patient.email not in client.get(reverse("accounts:patient_list")).content.decode()
    assert client.get(reverse("prep:patient_detail", args=[patient.pk])).status_code == 404
    assert client.get(reverse("prep:summary_read", args=[mine["upcoming"].pk])).status_code == 404


def test_deleting_asks_for_the_password_first(client, patient, therapist):
    seed(patient, therapist, MINE)
    client.force_login(patient)
    asked = client.post(DELETE)
    assert asked.url.startswith(REAUTHENTICATE)
    # A wrong password deletes nothing.
    refused = client.post(asked.url, {"password": "not-the-password"})
    assert refused.status_code == 200
    assert User.objects.get(pk=patient.pk).is_active
    assert ParkedTopic.objects.filter(patient=patient).exists()


def test_a_stale_confirmation_is_asked_for_again(client, patient, therapist):
    seed(patient, therapist, MINE)
    client.force_login(patient)
    # Confirming the password for something else, long ago...
    client.post(REAUTHENTICATE, {"password": PASSWORD})
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        asked = client.post(DELETE)
        assert asked.status_code == 302 and asked.url.startswith(REAUTHENTICATE)
        assert User.objects.get(pk=patient.pk).is_active
    # ...while a fresh one goes straight through.
    client.post(REAUTHENTICATE, {"password": PASSWORD})
    response = client.post(DELETE)
    assert response.url == reverse("prep:account_deleted")
    assert User.objects.get(pk=patient.pk).is_erased


def test_a_doubled_press_is_harmless(client, patient, therapist, two_patients):
    erase_through_the_pages(client, patient)
    erased = User.objects.get(pk=patient.pk)
    row = User.objects.filter(pk=patient.pk).values().get()
    again = client.post(DELETE)  # the same browser, signed out now
    assert again.status_code == 302
    assert again.url.startswith(reverse("account_login"))
    assert User.objects.filter(pk=patient.pk).values().get() == row
    # Called twice, the rule itself does nothing the second time.
    assert privacy.erase(erased) is False
    assert Appointment.objects.filter(patient=patient).count() == 2


def test_two_tabs_pressing_at_once_erase_once(client, patient, therapist):
    seed(patient, therapist, MINE)
    first, second = client, Client()
    for tab in (first, second):
        tab.force_login(patient)
        tab.post(REAUTHENTICATE, {"password": PASSWORD})
    assert first.post(DELETE).url == reverse("prep:account_deleted")
    # Every session of theirs ended with the account: the other tab is signed out.
    late = second.post(DELETE)
    assert late.url.startswith(reverse("account_login"))
    assert User.objects.get(pk=patient.pk).is_erased


def test_the_goodbye_page_is_for_people_signed_out(client, patient):
    assert client.get(reverse("prep:account_deleted")).status_code == 200
    client.force_login(patient)
    assert client.get(reverse("prep:account_deleted")).url == reverse("home")


def test_feedback_questions_left_unanswered_are_exported_as_null(client, patient, therapist):
    SessionFeedbackFactory(patient=patient, therapist=therapist, bond=None, goals=None, overall=4)
    [row] = read_json(download(client, patient), "feedback.json")
    assert row["feeling_heard_and_respected"] is None
    assert row["working_on_what_matters"] is None
    assert row["overall"] == 4
    assert SessionFeedback.objects.count() == 1
