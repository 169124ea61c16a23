"""Who can open which journal page: every journal URL against every role and every
other patient or therapist. A journal belongs to its patient alone; a 404 tells an
outsider nothing about what exists."""

import pytest
from django.urls import reverse

from journal.models import ParkedTopic, SafetyAlert, Symptom
from tests.conftest import PEOPLE, assert_access
from tests.factories import DailyEntryFactory, MeasureResponseFactory, SymptomFactory

THOUGHT = "I keep replaying the argument with my sister at the station"
TOPIC = "What happened at my grandmother's funeral"


@pytest.fixture
def symptom(patient):
    return SymptomFactory(patient=patient, name="Racing heart")


@pytest.fixture
def topic(patient):
    return ParkedTopic.objects.create(patient=patient, title=TOPIC)


@pytest.fixture
def measure(patient):
    return MeasureResponseFactory(patient=patient)


@pytest.fixture
def alert(patient):
    return SafetyAlert.objects.create(patient=patient, source="daily_log")


@pytest.fixture
def urls(patient, symptom, topic, measure, alert):
    return {
        "today": ("get", reverse("journal:today")),
        "entry": ("get", reverse("journal:entry", args=[patient.today()])),
        "quick_mood": ("post", reverse("journal:quick_mood")),
        "support": ("get", reverse("journal:support")),
        "offline": ("get", reverse("journal:offline")),
        "sync": ("get", reverse("journal:sync")),
        "sync_done": ("get", reverse("journal:sync_done", args=[patient.today()])),
        "symptoms": ("get", reverse("journal:symptoms")),
        "rename_symptom": ("post", reverse("journal:rename_symptom", args=[symptom.pk])),
        "retire_symptom": ("post", reverse("journal:retire_symptom", args=[symptom.pk])),
        "restore_symptom": ("post", reverse("journal:restore_symptom", args=[symptom.pk])),
        "parked_topics": ("get", reverse("journal:parked_topics")),
        "parked_topic_visibility": (
            "post",
            reverse("journal:parked_topic_visibility", args=[topic.pk]),
        ),
        "delete_parked_topic": ("post", reverse("journal:delete_parked_topic", args=[topic.pk])),
        "calendar": ("get", reverse("journal:calendar")),
        "trends": ("get", reverse("journal:trends")),
        "measures": ("get", reverse("journal:measures")),
        "measure_new": ("get", reverse("journal:measure_new", args=["phq9"])),
        "measure_detail": ("get", reverse("journal:measure_detail", args=[measure.pk])),
        "measure_plan": ("get", reverse("journal:measure_plan", args=[patient.pk])),
        "acknowledge_alert": ("post", reverse("journal:acknowledge_alert", args=[alert.pk])),
        # The alert page, and (tests/journal/test_safety_contact.py) its form's POST.
        "safety_alert": ("get", reverse("journal:safety_alert", args=[alert.pk])),
    }


# A patient's own pages, which take no id: any patient opens their own.
OWN_PAGES = {
    "today": 302,
    "entry": 200,
    "quick_mood": 302,
    "symptoms": 200,
    "parked_topics": 200,
    "calendar": 200,
    "trends": 200,
    "measures": 200,
    "measure_new": 200,
    # The offline log's sending point (tests/journal/test_offline_sync.py).
    "sync": 200,
    "sync_done": 200,
}

# What each person gets; anything not listed is a 404 for a signed-in person. The
# symptom, parked topic, questionnaire and alert all belong to "patient".
ALLOWED = {
    **{page: {"patient": status, "other_patient": status} for page, status in OWN_PAGES.items()},
    # "Need help now" is open to everyone, signed in or not (tests/journal/test_support.py).
    "support": {person: 200 for person in PEOPLE},
    # The offline daily log's page holds nobody's data (tests/journal/test_offline_app.py).
    "offline": {person: 200 for person in PEOPLE},
    "rename_symptom": {"patient": 302},
    "retire_symptom": {"patient": 302},
    "restore_symptom": {"patient": 302},
    "parked_topic_visibility": {"patient": 302},
    "delete_parked_topic": {"patient": 302},
    "measure_detail": {"patient": 200},
    "measure_plan": {"therapist": 200},
    "acknowledge_alert": {"therapist": 302},
    "safety_alert": {"therapist": 200},
}

POST_ONLY = [
    "quick_mood",
    "rename_symptom",
    "retire_symptom",
    "restore_symptom",
    "parked_topic_visibility",
    "delete_parked_topic",
    "acknowledge_alert",
]


def test_the_matrix_covers_every_journal_url(urls):
    from journal.urls import urlpatterns

    assert set(urls) == set(ALLOWED) == {pattern.name for pattern in urlpatterns}


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("page", list(ALLOWED))
def test_access_matrix(client, people, urls, person, page):
    method, url = urls[page]
    if people[person] is None and person in ALLOWED[page]:
        assert getattr(client, method)(url).status_code == ALLOWED[page][person]
        return
    assert_access(client, people[person], method, url, ALLOWED[page].get(person, 404))


def test_today_takes_a_patient_to_their_own_entry_for_today(client, other_patient):
    client.force_login(other_patient)
    response = client.get(reverse("journal:today"))
    assert response.url == reverse("journal:entry", args=[other_patient.today()])


def test_another_patient_cannot_rename_my_symptom(client, other_patient, symptom):
    client.force_login(other_patient)
    response = client.post(
        reverse("journal:rename_symptom", args=[symptom.pk]), {"name": "Hijacked"}
    )
    assert response.status_code == 404
    symptom.refresh_from_db()
    assert symptom.name == "Racing heart"


def test_another_patient_cannot_retire_my_symptom(client, other_patient, symptom):
    client.force_login(other_patient)
    response = client.post(reverse("journal:retire_symptom", args=[symptom.pk]))
    assert response.status_code == 404
    symptom.refresh_from_db()
    assert symptom.retired_at is None


def test_another_patient_cannot_restore_my_retired_symptom(client, other_patient, symptom):
    Symptom.objects.filter(pk=symptom.pk).update(retired_at="2026-01-01T00:00Z")
    client.force_login(other_patient)
    response = client.post(reverse("journal:restore_symptom", args=[symptom.pk]))
    assert response.status_code == 404
    symptom.refresh_from_db()
    assert symptom.retired_at is not None


def test_another_patient_cannot_delete_my_parked_topic(client, other_patient, topic):
    client.force_login(other_patient)
    response = client.post(reverse("journal:delete_parked_topic", args=[topic.pk]))
    assert response.status_code == 404
    assert ParkedTopic.objects.filter(pk=topic.pk).exists()


def test_another_patient_cannot_share_my_parked_topic(client, other_patient, topic):
    client.force_login(other_patient)
    response = client.post(
        reverse("journal:parked_topic_visibility", args=[topic.pk]), {"show": "1"}
    )
    assert response.status_code == 404
    topic.refresh_from_db()
    assert topic.show_title_in_summary is False


def test_another_therapist_cannot_acknowledge_my_patients_alert(client, other_therapist, alert):
    client.force_login(other_therapist)
    response = client.post(reverse("journal:acknowledge_alert", args=[alert.pk]))
    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    assert alert.acknowledged_by is None


def test_the_patients_therapist_acknowledges_the_alert(client, therapist, alert):
    client.force_login(therapist)
    response = client.post(reverse("journal:acknowledge_alert", args=[alert.pk]))
    assert response.url == reverse("prep:therapist_dashboard")
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None
    assert alert.acknowledged_by == therapist


def test_an_ended_care_link_closes_the_alert_and_the_schedule(client, therapist, patient, alert):
    from django.utils import timezone

    patient.therapist_links.update(ended_at=timezone.now())
    client.force_login(therapist)
    assert client.post(reverse("journal:acknowledge_alert", args=[alert.pk])).status_code == 404
    assert client.get(reverse("journal:measure_plan", args=[patient.pk])).status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_a_therapist_never_receives_any_journal_content(client, therapist, patient, topic):
    """Even with a safety alert open, the therapist's pages name the alert and never
    the patient's words. The parked topic stays hidden (the patient has not shared
    it), so its title must appear nowhere."""
    entry = DailyEntryFactory(patient=patient, thoughts=THOUGHT, self_harm_thoughts=True)
    SafetyAlert.objects.create(patient=patient, source="daily_log", entry=entry)
    client.force_login(therapist)
    pages = [
        reverse("prep:therapist_dashboard"),
        reverse("accounts:patient_list"),
        reverse("prep:patient_detail", args=[patient.pk]),
        reverse("journal:measure_plan", args=[patient.pk]),
    ]
    responses = [client.get(url) for url in pages]
    assert [response.status_code for response in responses] == [200] * len(pages)
    assert patient.display_name in responses[0].content.decode()  # the alert is shown
    for url, response in zip(pages, responses, strict=True):
        page = response.content.decode()
        assert THOUGHT not in page, url
        assert TOPIC not in page, url
        assert "grandmother" not in page, url


@pytest.mark.parametrize("page", POST_ONLY)
def test_state_changes_refuse_get(client, patient, therapist, urls, symptom, topic, alert, page):
    client.force_login(therapist if page == "acknowledge_alert" else patient)
    response = client.get(urls[page][1])
    assert response.status_code == 405
    symptom.refresh_from_db()
    topic.refresh_from_db()
    alert.refresh_from_db()
    assert (symptom.name, symptom.retired_at) == ("Racing heart", None)
    assert topic.show_title_in_summary is False
    assert alert.acknowledged_at is None
