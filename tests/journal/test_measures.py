from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from journal import measures
from journal.models import MeasurePlan, MeasureResponse
from tests.factories import MeasureResponseFactory


def answers_for(kind: str, *values: int) -> dict:
    count = 9 if kind == "phq9" else 7
    padded = list(values) + [0] * (count - len(values))
    return {f"item_{n}": str(v) for n, v in enumerate(padded, start=1)}


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
     (14, "moderate"), (15, "moderately severe"), (19, "moderately severe"), (20, "severe"),
     (27, "severe")],
)  # fmt: skip
def test_phq9_bands_follow_the_published_cut_points(total, band):
    assert measures.PHQ9.band(total) == band


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "minimal"), (4, "minimal"), (5, "mild"), (10, "moderate"), (14, "moderate"),
     (15, "severe"), (21, "severe")],
)  # fmt: skip
def test_gad7_bands_follow_the_published_cut_points(total, band):
    assert measures.GAD7.band(total) == band


@pytest.mark.parametrize(
    ("questionnaire", "previous", "current", "reliable", "direction"),
    [
        (measures.PHQ9, 18, 12, True, "better"),
        (measures.PHQ9, 18, 13, False, "better"),
        (measures.PHQ9, 5, 11, True, "worse"),
        (measures.GAD7, 12, 8, True, "better"),
        (measures.GAD7, 12, 9, False, "better"),
        (measures.GAD7, 3, 3, False, "same"),
    ],
)
def test_reliable_change_uses_the_usual_thresholds(
    questionnaire, previous, current, reliable, direction
):
    change = measures.change(questionnaire, previous, current)
    assert (change.reliable, change.direction) == (reliable, direction)


def test_there_is_no_change_without_a_previous_score():
    assert measures.change(measures.PHQ9, None, 10) is None


def test_scoring_refuses_an_incomplete_or_out_of_range_answer_set():
    with pytest.raises(ValueError):
        measures.score(measures.GAD7, [1, 1, 1])
    with pytest.raises(ValueError):
        measures.score(measures.GAD7, [1, 1, 1, 1, 1, 1, 4])


def test_the_items_are_the_published_ones():
    assert len(measures.PHQ9.items) == 9
    assert len(measures.GAD7.items) == 7
    assert measures.PHQ9.items[8] == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
    assert measures.GAD7.items[0] == "Feeling nervous, anxious or on edge"


class TestTakingAQuestionnaire:
    @pytest.fixture(autouse=True)
    def _signed_in(self, client, patient):
        client.force_login(patient)

    def test_the_form_shows_the_items_and_the_notice(self, client):
        page = client.get(reverse("journal:measure_new", args=["gad7"])).content.decode()
        assert "Not being able to stop or control worrying" in page
        assert "More than half the days" in page
        assert "No permission required to reproduce" in page

    def test_answers_are_scored_banded_and_compared(self, client, patient):
        MeasureResponseFactory(
            patient=patient,
            kind="gad7",
            answers=[2] * 7,
            taken_at=datetime.now(UTC) - timedelta(days=14),
        )
        response = client.post(
            reverse("journal:measure_new", args=["gad7"]), answers_for("gad7", 1, 1, 1, 1, 1)
        )
        saved = MeasureResponse.objects.latest("taken_at")
        assert response.url == reverse("journal:measure_detail", args=[saved.pk])
        assert (saved.total, saved.band) == (5, "mild")
        page = client.get(response.url).content.decode()
        assert "Mild" in page
        assert "reliable change, better" in page

    def test_an_unanswered_item_is_pointed_out_and_nothing_saved(self, client):
        data = answers_for("phq9")
        del data["item_4"]
        response = client.post(reverse("journal:measure_new", args=["phq9"]), data)
        assert response.status_code == 400
        assert "Please answer this question." in response.content.decode()
        assert not MeasureResponse.objects.exists()

    def test_a_tampered_answer_is_refused(self, client):
        data = answers_for("phq9", 7)
        response = client.post(reverse("journal:measure_new", args=["phq9"]), data)
        assert response.status_code == 400
        assert not MeasureResponse.objects.exists()

    def test_an_unknown_questionnaire_is_a_404(self, client):
        assert client.get(reverse("journal:measure_new", args=["bdi"])).status_code == 404

    def test_the_list_shows_scores_and_a_trend_chart(self, client, patient):
        for days_ago, value in ((28, 2), (14, 1)):
            MeasureResponseFactory(
                patient=patient,
                answers=[value] * 9,
                total=9 * value,
                taken_at=datetime.now(UTC) - timedelta(days=days_ago),
            )
        page = client.get(reverse("journal:measures")).content.decode()
        assert "PHQ-9 scores" in page
        assert 'id="phq9-trend-title"' in page
        assert "reliable change, better" in page


class TestWhenQuestionnairesAreDue:
    def test_never_taken_is_due_today(self, patient):
        for due in measures.next_due(patient):
            assert due.is_due(patient.today())

    def test_due_fourteen_days_after_the_last_by_default(self, patient):
        with time_machine.travel(datetime(2026, 3, 1, 18, 0, tzinfo=UTC)):
            MeasureResponseFactory(patient=patient, kind="phq9")
            due = {d.questionnaire.kind: d for d in measures.next_due(patient)}
            assert due["phq9"].due_on.isoformat() == "2026-03-15"
            assert not due["phq9"].is_due(patient.today())
        with time_machine.travel(datetime(2026, 3, 15, 9, 0, tzinfo=UTC)):
            assert due["phq9"].is_due(patient.today())

    def test_the_home_page_says_when_one_is_due(self, client, patient):
        client.force_login(patient)
        page = client.get(reverse("prep:patient_home")).content.decode()
        assert "Due now" in page

    def test_a_therapist_changes_the_interval_for_their_patient(self, client, therapist, patient):
        client.force_login(therapist)
        url = reverse("journal:measure_plan", args=[patient.pk])
        assert client.post(url, {"interval_days": "28"}).status_code == 302
        assert MeasurePlan.objects.get(patient=patient).interval_days == 28
        MeasureResponseFactory(patient=patient, kind="gad7")
        due = {d.questionnaire.kind: d for d in measures.next_due(patient)}
        assert due["gad7"].due_on == patient.today() + timedelta(days=28)

    @pytest.mark.parametrize("value", ["3", "365", "soon"])
    def test_a_nonsense_interval_is_refused(self, client, therapist, patient, value):
        client.force_login(therapist)
        url = reverse("journal:measure_plan", args=[patient.pk])
        assert client.post(url, {"interval_days": value}).status_code == 400
        assert not MeasurePlan.objects.exists()
