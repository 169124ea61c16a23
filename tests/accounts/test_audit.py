"""Every read on the record: each staff view of a patient's data writes exactly one
line to the append-only access log (who, whose, what kind, when; never the data),
the patient reads their own lines in plain words, the practice manager filters
them, and erasing an account leaves the facts but not the person."""

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import audit
from accounts.models import AccessRecord, User
from prep import privacy, summaries
from tests.factories import (
    AllianceAlertFactory,
    AppointmentFactory,
    CareLinkFactory,
    DailyEntryFactory,
    EscalationFactory,
    SessionFeedbackFactory,
    UserFactory,
)

MY_LOG = reverse("accounts:my_access_log")
PRACTICE_LOG = reverse("accounts:practice_access_log")


def only_record():
    [record] = AccessRecord.objects.all()
    return record


# Each view records one row -----------------------------------------------------


@pytest.mark.parametrize(
    "url_name, kind",
    [
        ("prep:patient_detail", "patient_page"),
        ("prep:patient_plan", "plan"),
        ("feedback:patient_feedback", "feedback"),
        ("journal:measure_plan", "measure_plan"),
    ],
)
def test_each_therapist_page_about_a_patient_records_one_read(
    client, therapist, patient, url_name, kind
):
    client.force_login(therapist)
    assert client.get(reverse(url_name, args=[patient.pk])).status_code == 200
    record = only_record()
    assert (record.viewer, record.patient, record.kind, record.object_id) == (
        therapist,
        patient,
        kind,
        "",
    )


@pytest.mark.parametrize(
    "url_name",
    [
        "prep:patient_detail",
        "prep:patient_plan",
        "feedback:patient_feedback",
        "journal:measure_plan",
    ],
)
def test_a_refused_page_records_nothing(client, other_therapist, patient, url_name):
    client.force_login(other_therapist)
    assert client.get(reverse(url_name, args=[patient.pk])).status_code == 404
    assert not AccessRecord.objects.exists()


def test_opening_a_shared_summary_records_its_id(client, therapist, patient):
    appointment = AppointmentFactory(therapist=therapist, patient=patient)
    DailyEntryFactory(patient=patient, discuss_next_session=True)
    summaries.generate_draft(appointment)
    shared = summaries.share(appointment)
    client.force_login(therapist)
    client.get(reverse("prep:summary_read", args=[appointment.pk]))
    record = only_record()
    assert (record.patient, record.kind, record.object_id) == (patient, "summary", str(shared.pk))


def test_an_alliance_alert_records_its_id(client, therapist, patient):
    alert = AllianceAlertFactory(
        feedback=SessionFeedbackFactory(patient=patient, therapist=therapist, bond=2)
    )
    client.force_login(therapist)
    assert client.get(reverse("feedback:alert_detail", args=[alert.pk])).status_code == 200
    record = only_record()
    assert (record.viewer, record.patient, record.kind, record.object_id) == (
        therapist,
        patient,
        "alliance_alert",
        str(alert.pk),
    )


def test_the_manager_reading_escalations_records_one_line_each(
    client, manager, patient, other_patient, therapist, other_therapist
):
    mine = EscalationFactory(
        feedback=SessionFeedbackFactory(patient=patient, therapist=therapist, bond=1)
    )
    theirs = EscalationFactory(
        feedback=SessionFeedbackFactory(patient=other_patient, therapist=other_therapist, bond=1)
    )
    client.force_login(manager)
    assert client.get(reverse("feedback:practice_home")).status_code == 200
    assert set(AccessRecord.objects.values_list("viewer", "patient", "kind", "object_id")) == {
        (manager.pk, patient.pk, "escalation", str(mine.pk)),
        (manager.pk, other_patient.pk, "escalation", str(theirs.pk)),
    }


def test_the_practice_page_costs_the_same_queries_however_many_escalations(client, manager):
    EscalationFactory()
    client.force_login(manager)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("feedback:practice_home"))
    for _ in range(5):
        EscalationFactory()
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("feedback:practice_home"))
    assert len(many) == len(few)


def test_the_data_export_is_recorded(client, patient):
    client.force_login(patient)
    assert client.post(reverse("prep:my_data")).status_code == 200
    record = only_record()
    assert (record.viewer, record.patient, record.kind) == (patient, patient, "export")


@pytest.fixture
def admin_user(db):
    return UserFactory(manager=True, is_staff=True, is_superuser=True, first_name="Ada")


@pytest.mark.parametrize(
    "model_admin, make",
    [
        ("accounts_user", lambda patient, therapist: patient),
        ("accounts_carelink", lambda patient, therapist: patient.therapist_links.get()),
        (
            "appointments_appointment",
            lambda patient, therapist: AppointmentFactory(therapist=therapist, patient=patient),
        ),
        (
            "prep_presessionsummary",
            lambda patient, therapist: summaries.generate_draft(
                AppointmentFactory(therapist=therapist, patient=patient)
            ),
        ),
    ],
)
def test_an_admin_change_page_of_a_patients_row_records_one_read(
    client, admin_user, patient, therapist, model_admin, make
):
    obj = make(patient, therapist)
    client.force_login(admin_user)
    assert client.get(reverse(f"admin:{model_admin}_change", args=[obj.pk])).status_code == 200
    record = only_record()
    assert (record.viewer, record.patient, record.kind) == (admin_user, patient, "admin")
    assert record.object_id.endswith(f":{obj.pk}")


def test_an_admin_page_about_staff_records_nothing(client, admin_user, therapist):
    client.force_login(admin_user)
    assert client.get(reverse("admin:accounts_user_change", args=[therapist.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    assert not AccessRecord.objects.exists()


# Append-only -------------------------------------------------------------------


def test_a_line_cannot_be_changed_or_deleted(therapist, patient):
    record = audit.record(therapist, patient, audit.Kind.PLAN)
    record.kind = audit.Kind.FEEDBACK
    with pytest.raises(PermissionError):
        record.save()
    with pytest.raises(PermissionError):
        record.delete()
    with pytest.raises(PermissionError):
        AccessRecord.objects.filter(pk=record.pk).update(kind="feedback")
    with pytest.raises(PermissionError):
        AccessRecord.objects.all().delete()
    assert AccessRecord.objects.get().kind == "plan"


def test_the_admin_shows_the_log_read_only(client, admin_user, therapist, patient):
    record = audit.record(therapist, patient, audit.Kind.PLAN)
    client.force_login(admin_user)
    assert client.get(reverse("admin:accounts_accessrecord_changelist")).status_code == 200
    page = client.get(reverse("admin:accounts_accessrecord_change", args=[record.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get(reverse("admin:accounts_accessrecord_add")).status_code == 403
    assert (
        client.post(reverse("admin:accounts_accessrecord_delete", args=[record.pk])).status_code
        == 403
    )
    client.post(
        reverse("admin:accounts_accessrecord_change", args=[record.pk]), {"kind": "feedback"}
    )
    assert AccessRecord.objects.get().kind == "plan"


# The patient's page --------------------------------------------------------------


def test_the_patient_reads_their_own_lines_in_plain_words_newest_first(
    client, patient, therapist, other_patient, other_therapist
):
    # Tuesday 3 March 2026, 10:02 in London (GMT).
    with time_machine.travel(datetime(2026, 3, 3, 10, 2, tzinfo=UTC), tick=False):
        audit.record(therapist, patient, audit.Kind.SUMMARY, 1)
    with time_machine.travel(datetime(2026, 3, 4, 9, 0, tzinfo=UTC), tick=False):
        audit.record(therapist, patient, audit.Kind.PLAN)
    audit.record(other_therapist, other_patient, audit.Kind.PATIENT_PAGE)
    client.force_login(patient)
    with time_machine.travel(datetime(2026, 3, 5, 12, 0, tzinfo=UTC)):
        page = client.get(MY_LOG).content.decode()
    newer = page.index("Dana Reyes opened your plan on Wednesday 4 March at 09:00")
    older = page.index("Dana Reyes opened your shared summary on Tuesday 3 March at 10:02")
    assert newer < older
    assert "Morgan Lee" not in page and "patient page" not in page


@pytest.mark.parametrize(
    "zone, moment, expected",
    [
        # London has just gone to summer time; New York has been on EDT for weeks.
        ("Europe/London", datetime(2027, 3, 28, 1, 30, tzinfo=UTC), "Sunday 28 March at 02:30"),
        (
            "America/New_York",
            datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
            "Saturday 27 March at 21:30",
        ),
        # London's 01:30 happens twice on 31 October: this is the first (BST).
        ("Europe/London", datetime(2027, 10, 31, 0, 30, tzinfo=UTC), "Sunday 31 October at 01:30"),
        ("Europe/London", datetime(2027, 10, 31, 1, 30, tzinfo=UTC), "Sunday 31 October at 01:30"),
        (
            "America/New_York",
            datetime(2027, 10, 31, 12, 0, tzinfo=UTC),
            "Sunday 31 October at 08:00",
        ),
    ],
)
def test_times_are_in_the_patients_zone_across_the_clock_changes(
    client, therapist, zone, moment, expected
):
    patient = UserFactory(timezone=zone)
    CareLinkFactory(therapist=therapist, patient=patient)
    with time_machine.travel(moment, tick=False):
        audit.record(therapist, patient, audit.Kind.FEEDBACK)
        client.force_login(patient)
        page = client.get(MY_LOG).content.decode()
    assert f"Dana Reyes opened your feedback on {expected}" in page


def test_another_patients_lines_never_show_and_staff_get_404(
    client, patient, other_patient, therapist, manager
):
    audit.record(therapist, patient, audit.Kind.PLAN)
    client.force_login(other_patient)
    page = client.get(MY_LOG).content.decode()
    assert "Nobody has opened anything of yours yet." in page
    for person in (therapist, manager):
        client.force_login(person)
        assert client.get(MY_LOG).status_code == 404
    client.logout()
    assert client.get(MY_LOG).status_code == 302


def test_the_patients_page_is_linked_from_settings_and_paginated(client, patient, therapist):
    client.force_login(patient)
    assert MY_LOG in client.get(reverse("accounts:profile")).content.decode()
    for _ in range(55):
        audit.record(therapist, patient, audit.Kind.PLAN)
    with CaptureQueriesContext(connection) as first:
        page = client.get(MY_LOG).content.decode()
    assert page.count("opened your plan") == 50
    assert "page=2" in page
    second = client.get(MY_LOG, {"page": "2"}).content.decode()
    assert second.count("opened your plan") == 5
    assert client.get(MY_LOG, {"page": "9" * 5000}).status_code == 200
    with CaptureQueriesContext(connection) as again:
        client.get(MY_LOG, {"page": "2"})
    assert len(again) == len(first)


# The manager's page --------------------------------------------------------------


def test_the_manager_filters_by_therapist_and_days(
    client, manager, patient, therapist, other_patient, other_therapist
):
    with time_machine.travel(datetime(2026, 3, 3, 10, 0, tzinfo=UTC), tick=False):
        audit.record(therapist, patient, audit.Kind.PLAN)
        audit.record(other_therapist, other_patient, audit.Kind.FEEDBACK)
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=UTC), tick=False):
        audit.record(therapist, patient, audit.Kind.SUMMARY, 7)
    client.force_login(manager)

    everything = client.get(PRACTICE_LOG).content.decode()
    assert everything.count("<tr><td>") == 3

    page = client.get(PRACTICE_LOG, {"therapist": therapist.pk}).content.decode()
    assert page.count("<tr><td>") == 2 and "Alex Morgan" not in page

    page = client.get(
        PRACTICE_LOG, {"therapist": therapist.pk, "since": "2026-03-01", "until": "2026-03-03"}
    ).content.decode()
    assert page.count("<tr><td>") == 1 and "Plan" in page and "Shared summary" not in page

    page = client.get(PRACTICE_LOG, {"since": "2026-03-04"}).content.decode()
    assert page.count("<tr><td>") == 1 and "Shared summary" in page


@pytest.mark.parametrize(
    "query",
    [
        {"therapist": "9" * 5000},
        {"therapist": "abc"},
        {"since": "2026-02-30"},
        {"since": "2026-03-10", "until": "2026-03-01"},
        {"until": "9999-12-31"},
        {"since": "0001-01-01"},
    ],
)
def test_bad_filters_answer_400_with_a_message(client, manager, therapist, patient, query):
    audit.record(therapist, patient, audit.Kind.PLAN)
    client.force_login(manager)
    response = client.get(PRACTICE_LOG, query)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page and "<tr><td>" not in page


def test_a_patient_cannot_be_chosen_as_the_therapist(client, manager, patient):
    client.force_login(manager)
    assert client.get(PRACTICE_LOG, {"therapist": patient.pk}).status_code == 400


@pytest.mark.parametrize("who", ["patient", "therapist", "other_therapist"])
def test_only_the_manager_reaches_the_practice_log(client, people, who):
    client.force_login(people[who])
    assert client.get(PRACTICE_LOG).status_code == 404


def test_the_manager_page_costs_the_same_queries_however_many_lines(
    client, manager, therapist, patient
):
    audit.record(therapist, patient, audit.Kind.PLAN)
    client.force_login(manager)
    with CaptureQueriesContext(connection) as few:
        client.get(PRACTICE_LOG, {"therapist": therapist.pk})
    for index in range(60):
        viewer = UserFactory(therapist=True) if index % 10 == 0 else therapist
        other = UserFactory()
        audit.record(viewer, other, audit.Kind.FEEDBACK)
        audit.record(therapist, patient, audit.Kind.PLAN)
    with CaptureQueriesContext(connection) as many:
        client.get(PRACTICE_LOG, {"therapist": therapist.pk})
    assert len(many) == len(few)


# Erasure -------------------------------------------------------------------------


def test_erasure_keeps_the_facts_but_no_link_to_the_patient(
    client, patient, therapist, other_patient, other_therapist, manager
):
    audit.record(therapist, patient, audit.Kind.PLAN)
    audit.record(therapist, patient, audit.Kind.SUMMARY, 12)
    audit.record(patient, patient, audit.Kind.EXPORT)
    theirs = audit.record(other_therapist, other_patient, audit.Kind.FEEDBACK)

    assert privacy.erase(patient)

    rows = list(AccessRecord.objects.order_by("pk"))
    assert len(rows) == 5
    plan, summary, export, kept, erasure = rows
    for row in (plan, summary, export):
        assert row.patient_id is None and row.patient_erased and row.object_id == ""
    assert (plan.viewer, plan.kind, summary.kind) == (therapist, "plan", "summary")
    assert export.viewer_id is None and export.kind == "export"
    assert (kept.patient, kept.viewer, kept.object_id) == (other_patient, other_therapist, "")
    assert kept.pk == theirs.pk and not kept.patient_erased
    # The erasure itself: when, and nothing of whose.
    assert (erasure.kind, erasure.viewer_id, erasure.patient_id) == ("erasure", None, None)
    assert erasure.patient_erased
    assert not AccessRecord.objects.filter(patient=patient).exists()
    assert not AccessRecord.objects.filter(viewer=patient).exists()

    client.force_login(manager)
    page = client.get(PRACTICE_LOG).content.decode()
    assert "Former patient (account deleted)" in page
    assert "Account erasure" in page
    assert User.objects.get(pk=patient.pk).is_erased


def test_a_hard_deleted_therapist_leaves_the_line_without_a_name(therapist, patient):
    audit.record(therapist, patient, audit.Kind.PLAN)
    therapist.delete()
    record = only_record()
    assert record.viewer_id is None and record.patient == patient


def test_the_export_lists_every_read(client, patient, therapist):
    appointment = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(days=2)
    )
    DailyEntryFactory(patient=patient, discuss_next_session=True)
    summaries.generate_draft(appointment)
    shared = summaries.share(appointment)
    audit.record(therapist, patient, audit.Kind.SUMMARY, shared.pk)
    audit.record(therapist, patient, audit.Kind.PLAN)
    client.force_login(patient)
    archive = zipfile.ZipFile(io.BytesIO(client.post(reverse("prep:my_data")).content))
    log = json.loads(archive.read("access_log.json"))
    assert [(row["opened_by"], row["what"]) for row in log] == [
        ("Dana Reyes", "shared summary"),
        ("Dana Reyes", "plan"),
        ("you", "data export"),
    ]
    [opening] = json.loads(archive.read("summary_openings.json"))
    assert (opening["opened_by"], opening["version"]) == ("Dana Reyes", shared.version)
