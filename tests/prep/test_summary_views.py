"""The summary pages: the patient prepares, reviews, chooses and shares; the
therapist reads only what was shared, and every opening is recorded."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessRecord
from prep import summaries
from prep.models import AgendaItem, PrepPreference, PreSessionSummary
from tests.factories import AgendaItemFactory, AppointmentFactory, DailyEntryFactory


@pytest.fixture
def appointment(therapist, patient):
    today = patient.today()
    DailyEntryFactory(patient=patient, day=today - timedelta(days=1), mood=9)
    DailyEntryFactory(
        patient=patient, day=today - timedelta(days=3), mood=2, discuss_next_session=True,
        thoughts="The argument with my brother",
    )  # fmt: skip
    return AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(days=2)
    )


def review_url(appointment):
    return reverse("prep:summary_review", args=[appointment.pk])


def read_url(appointment):
    return reverse("prep:summary_read", args=[appointment.pk])


def ticked(page: str) -> list[str]:
    """What a browser would send from the review form as it stands: every ticked box."""
    return re.findall(r'name="show" value="([^"]+)" checked', page)


def test_the_patient_prepares_a_draft_on_demand(client, patient, appointment):
    client.force_login(patient)
    assert "Prepare my summary now" in client.get(review_url(appointment)).content.decode()
    client.post(reverse("prep:summary_generate", args=[appointment.pk]))
    page = client.get(review_url(appointment)).content.decode()
    assert "Hardest day" in page
    assert "The argument with my brother" in page  # the patient sees their own words


def test_until_shared_the_therapist_sees_only_not_shared_yet(client, therapist, appointment):
    summaries.generate_draft(appointment)
    client.force_login(therapist)
    page = client.get(read_url(appointment)).content.decode()
    assert "Not shared yet." in page
    assert "Hardest day" not in page
    assert not AccessRecord.objects.exists()


def test_the_patient_leaves_items_out_and_shares(client, patient, therapist, appointment):
    """GIVEN a draft with a hardest day and a flagged day with the patient's words
    WHEN the patient unticks the hardest day, leaves the words out, and shares
    THEN the therapist reads the summary without either."""
    draft = summaries.generate_draft(appointment)
    keep = [k for k in summaries.item_keys(draft.snapshot) if k != "worst_day"]
    client.force_login(patient)
    response = client.post(
        reverse("prep:summary_choices", args=[appointment.pk]),
        {"show": keep, "action": "share"},
        follow=True,
    )
    assert "Shared with Dana Reyes (version 1)" in response.content.decode()

    client.force_login(therapist)
    page = client.get(read_url(appointment)).content.decode()
    assert "Best day" in page
    assert "Hardest day" not in page
    assert "The argument with my brother" not in page
    assert "Days I marked to bring up" in page


def test_included_words_reach_the_therapist(client, patient, therapist, appointment):
    draft = summaries.generate_draft(appointment)
    entry_id = draft.snapshot["flagged"][0]["entry"]
    client.force_login(patient)
    client.post(
        reverse("prep:summary_choices", args=[appointment.pk]),
        {"show": list(summaries.item_keys(draft.snapshot)), "thought": [str(entry_id)],
         "action": "share"},
    )  # fmt: skip
    client.force_login(therapist)
    assert "The argument with my brother" in client.get(read_url(appointment)).content.decode()


def test_saving_choices_shares_nothing(client, patient, appointment):
    summaries.generate_draft(appointment)
    client.force_login(patient)
    client.post(
        reverse("prep:summary_choices", args=[appointment.pk]), {"show": [], "action": "save"}
    )
    assert not PreSessionSummary.objects.filter(version__gt=0).exists()


def test_every_opening_is_recorded_and_shown_to_the_patient(
    client, patient, therapist, appointment
):
    summaries.generate_draft(appointment)
    summaries.share(appointment)
    client.force_login(therapist)
    client.get(read_url(appointment))
    client.get(read_url(appointment))
    openings = AccessRecord.objects.filter(viewer=therapist)
    assert openings.count() == 2
    assert {(o.kind, o.patient_id) for o in openings} == {("summary", patient.pk)}
    client.force_login(patient)
    page = client.get(review_url(appointment)).content.decode()
    assert page.count("Opened by your therapist, Dana Reyes") == 2


def test_a_question_added_while_reviewing_joins_the_agenda(client, patient, appointment):
    summaries.generate_draft(appointment)
    client.force_login(patient)
    client.post(
        reverse("prep:summary_add_agenda", args=[appointment.pk]),
        {"kind": "question", "text": "Can we talk about medication?"},
    )
    assert AgendaItem.objects.filter(patient=patient, kind="question").exists()
    page = client.get(review_url(appointment)).content.decode()
    assert "Can we talk about medication?" in page


def test_an_empty_agenda_line_is_refused(client, patient, appointment):
    client.force_login(patient)
    response = client.post(
        reverse("prep:summary_add_agenda", args=[appointment.pk]),
        {"kind": "topic", "text": "   "},
        follow=True,
    )
    assert "Write a few words" in response.content.decode()
    assert not AgendaItem.objects.exists()


def test_journal_edits_after_sharing_do_not_change_what_the_therapist_reads(
    client, patient, therapist, appointment
):
    summaries.generate_draft(appointment)
    summaries.share(appointment)
    patient.daily_entries.update(mood=5)
    client.force_login(patient)
    client.post(reverse("prep:summary_generate", args=[appointment.pk]))
    client.force_login(therapist)
    page = client.get(read_url(appointment)).content.decode()
    assert "mood 9" in page


def test_the_patient_can_choose_to_share_automatically(client, patient):
    client.force_login(patient)
    client.post(reverse("prep:share_automatically"), {"on": "1"})
    assert PrepPreference.objects.get(patient=patient).share_automatically
    client.post(reverse("prep:share_automatically"), {"on": "0"})
    assert not PrepPreference.objects.get(patient=patient).share_automatically


def test_a_tampered_choice_cannot_add_or_break_anything(client, patient, appointment):
    summaries.generate_draft(appointment)
    client.force_login(patient)
    response = client.post(
        reverse("prep:summary_choices", args=[appointment.pk]),
        {"show": ["'; DROP TABLE", "section:nope"], "thought": ["abc", "-1"], "action": "share"},
    )
    assert response.status_code == 302
    shared = PreSessionSummary.objects.get(version=1)
    assert shared.snapshot["overview"] is None  # everything unticked stays out


def test_the_print_view_hides_the_chrome(client, therapist, appointment):
    summaries.generate_draft(appointment)
    summaries.share(appointment)
    client.force_login(therapist)
    page = client.get(read_url(appointment)).content.decode()
    assert "data-print" in page  # static/js/app.js prints; no inline handler
    assert "summary-print" in page


def test_reading_the_review_page_leaves_the_draft_as_it_was_yet_shows_the_journal_now(
    client, patient, appointment
):
    """GIVEN a prepared draft, and an agenda item the patient added afterwards
    WHEN the patient opens the review page
    THEN the page shows the new item (the summary as it would be shared now, built
    in memory) and the stored draft is not touched: same revision, snapshot and
    update time, and no other row."""
    draft = summaries.generate_draft(appointment)
    item = AgendaItemFactory(patient=patient, text="added after the draft")
    client.force_login(patient)
    page = client.get(review_url(appointment)).content.decode()
    assert "added after the draft" in page
    assert f"agenda:{item.pk}" in ticked(page)  # offered with a tick box, like the rest
    stored = PreSessionSummary.objects.get()
    assert stored.pk == draft.pk
    assert (stored.revision, stored.snapshot, stored.updated_at) == (
        draft.revision,
        draft.snapshot,
        draft.updated_at,
    )
    assert "added after the draft" not in str(stored.snapshot)


def test_an_item_added_after_the_draft_can_be_left_out_when_sharing(
    client, patient, therapist, appointment
):
    """GIVEN a draft with one agenda item, then a second added in the journal
    WHEN the patient opens the review page, unticks the new item and shares
    THEN the choices apply to the summary as it was shown (saving refreshes the
    draft first), so the therapist reads the first item and not the second."""
    AgendaItemFactory(patient=patient, text="Already in the draft")
    summaries.generate_draft(appointment)
    late = AgendaItemFactory(patient=patient, text="Added after the draft")
    client.force_login(patient)
    page = client.get(review_url(appointment)).content.decode()
    keep = [key for key in ticked(page) if key != f"agenda:{late.pk}"]
    client.post(
        reverse("prep:summary_choices", args=[appointment.pk]), {"show": keep, "action": "save"}
    )
    draft = summaries.draft_for(appointment)
    assert "Added after the draft" in str(draft.snapshot)
    agenda_keys = {item["key"] for item in draft.snapshot["agenda"]}
    assert agenda_keys & set(draft.hidden) == {f"agenda:{late.pk}"}
    client.post(
        reverse("prep:summary_choices", args=[appointment.pk]), {"show": keep, "action": "share"}
    )
    client.force_login(therapist)
    read = client.get(read_url(appointment)).content.decode()
    assert "Already in the draft" in read
    assert "Added after the draft" not in read


def test_odd_digits_in_a_summary_choice_are_ignored(client, patient, appointment):
    summaries.generate_draft(appointment)
    client.force_login(patient)
    response = client.post(
        reverse("prep:summary_choices", args=[appointment.pk]), {"thought": ["²", "١"]}
    )
    assert response.status_code == 302
    assert summaries.draft_for(appointment).included_thoughts == []


def test_a_log_touching_only_mood_counts_one_answered_mood_and_no_anxiety(
    client, therapist, patient
):
    """GIVEN a new patient with no history
    WHEN they save a daily log touching only the mood, and share their summary
    THEN the therapist reads one answered mood, no anxiety, and how many days each
    average rests on."""
    session = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(days=2)
    )
    client.force_login(patient)
    client.post(reverse("journal:entry", args=[patient.today()]), {"mood": "6"})
    client.post(reverse("prep:summary_generate", args=[session.pk]))
    keep = list(summaries.item_keys(summaries.draft_for(session).snapshot))
    client.post(
        reverse("prep:summary_choices", args=[session.pk]), {"show": keep, "action": "share"}
    )
    client.force_login(therapist)
    page = client.get(read_url(session)).content.decode()
    days = summaries.latest_shared(session).snapshot["period"]["days"]
    assert f"1 of {days} days logged." in page
    rows = dict(re.findall(r'<tr><th scope="row">(\w+)[^<]*</th>\s*<td[^>]*>(.*?)</td>', page))
    assert rows["Mood"] == f'6.0<br><span class="small text-muted">1 of {days} days answered</span>'
    assert (
        rows["Anxiety"] == f'–<br><span class="small text-muted">0 of {days} days answered</span>'
    )
    assert rows["Energy"].startswith("–")
    assert rows["Sleep"].startswith("–")
    assert "Best day:" in page and "mood 6, anxiety not answered, energy not answered" in page
    assert "Hardest day" not in page


def test_an_unanswered_feedback_rating_shows_as_a_dash(client, therapist, patient):
    from tests.factories import SessionFeedbackFactory

    session = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(days=2)
    )
    SessionFeedbackFactory(
        patient=patient, therapist=therapist, session_at=timezone.now() - timedelta(days=5),
        bond=None, goals=7, approach=None, overall=8,
    )  # fmt: skip
    summaries.generate_draft(session)
    client.force_login(patient)
    page = client.get(review_url(session)).content.decode()
    assert "heard –, what matters 7, way we work –, overall 8" in page
    assert "None" not in page
