"""Who can open which feedback page: every URL in feedback/urls.py, and the patient's
form at feedback:give_feedback, against every role and every other patient or therapist.
Feedback belongs to the patient; the therapist sees what was shared with them; the
practice manager sees counts and escalations, and never a journal."""

import pytest
from django.urls import reverse

from feedback.models import Escalation, SessionFeedback
from tests.conftest import PEOPLE, assert_access
from tests.factories import (
    AllianceAlertFactory,
    AttendedAppointmentFactory,
    CareLinkFactory,
    EscalationFactory,
    SessionFeedbackFactory,
)

COMMENT = "You keep calling me by my sister's name"


@pytest.fixture
def session(therapist, patient):
    return AttendedAppointmentFactory(therapist=therapist, patient=patient)


@pytest.fixture
def feedback(session):
    return SessionFeedbackFactory.for_session(session, bond=3, comment=COMMENT)


@pytest.fixture
def alert(feedback):
    return AllianceAlertFactory(feedback=feedback)


@pytest.fixture
def escalation(feedback):
    return EscalationFactory(feedback=feedback)


@pytest.fixture
def urls(patient, session, alert, escalation):
    return {
        "mine": ("get", reverse("feedback:mine")),
        "alert_detail": ("get", reverse("feedback:alert_detail", args=[alert.pk])),
        "patient_feedback": ("get", reverse("feedback:patient_feedback", args=[patient.pk])),
        "practice_home": ("get", reverse("feedback:practice_home")),
        "escalation_handled": (
            "post",
            reverse("feedback:escalation_handled", args=[escalation.pk]),
        ),
        "give_feedback": ("get", reverse("feedback:give_feedback", args=[session.pk])),
    }


# What each person gets; anything not listed is a 404 for a signed-in person. The
# session, feedback, alert and escalation all belong to "patient" and "therapist".
ALLOWED = {
    "mine": {"patient": 200, "other_patient": 200},  # each their own
    "alert_detail": {"therapist": 200},
    "patient_feedback": {"therapist": 200},
    "practice_home": {"manager": 200},
    "escalation_handled": {"manager": 302},
    "give_feedback": {"patient": 200},
}


def test_the_matrix_covers_every_feedback_url(urls):
    from feedback.urls import urlpatterns

    names = {pattern.name for pattern in urlpatterns}
    assert set(urls) == set(ALLOWED) == names | {"give_feedback"}


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("page", list(ALLOWED))
def test_access_matrix(client, people, urls, person, page):
    method, url = urls[page]
    assert_access(client, people[person], method, url, ALLOWED[page].get(person, 404))


def everyone_but(person):
    return [other for other in PEOPLE if other != person]


@pytest.mark.parametrize("person", everyone_but("therapist"))
def test_nobody_but_the_therapist_marks_the_alert_read(client, people, alert, person):
    if people[person]:
        client.force_login(people[person])
    response = client.post(reverse("feedback:alert_detail", args=[alert.pk]), {"reply": "Hi"})
    assert response.status_code == (302 if person == "anonymous" else 404)
    alert.refresh_from_db()
    assert (alert.acknowledged_at, alert.reply) == (None, "")


@pytest.mark.parametrize("person", everyone_but("manager"))
def test_nobody_but_a_manager_marks_an_escalation_handled(client, people, escalation, person):
    if people[person]:
        client.force_login(people[person])
    client.post(reverse("feedback:escalation_handled", args=[escalation.pk]))
    escalation.refresh_from_db()
    assert escalation.handled_at is None


@pytest.mark.parametrize("person", everyone_but("patient"))
def test_nobody_but_the_patient_gives_feedback_on_the_session(client, people, session, person):
    if people[person]:
        client.force_login(people[person])
    answers = {"bond": 0, "goals": 0, "approach": 0, "overall": 0, "visibility": "shared"}
    client.post(reverse("feedback:give_feedback", args=[session.pk]), answers)
    assert not SessionFeedback.objects.exists()


def test_marking_an_escalation_handled_needs_a_post(client, manager, escalation):
    client.force_login(manager)
    response = client.get(reverse("feedback:escalation_handled", args=[escalation.pk]))
    assert response.status_code == 405
    escalation.refresh_from_db()
    assert escalation.handled_at is None


def test_an_escalation_that_does_not_exist_is_not_found(client, manager):
    client.force_login(manager)
    response = client.post(reverse("feedback:escalation_handled", args=[999_999]))
    assert response.status_code == 404
    assert not Escalation.objects.exists()


def test_a_therapist_cannot_read_another_therapists_patient(
    client, therapist, other_therapist, other_patient
):
    theirs = SessionFeedbackFactory(patient=other_patient, therapist=other_therapist, bond=1)
    alert = AllianceAlertFactory(feedback=theirs)
    client.force_login(therapist)
    url = reverse("feedback:patient_feedback", args=[other_patient.pk])
    assert client.get(url).status_code == 404
    assert client.get(reverse("feedback:alert_detail", args=[alert.pk])).status_code == 404


def test_feedback_to_another_therapist_is_not_on_this_therapists_page(
    client, patient, therapist, other_therapist, feedback
):
    """A patient in two therapists' care: each therapist sees only their own."""
    CareLinkFactory(therapist=other_therapist, patient=patient)
    client.force_login(other_therapist)
    page = client.get(reverse("feedback:patient_feedback", args=[patient.pk])).content.decode()
    assert COMMENT not in page
    assert "Nothing shared yet." in page


def test_my_feedback_lists_only_my_own(client, other_patient, feedback, alert):
    client.force_login(other_patient)
    page = client.get(reverse("feedback:mine")).content.decode()
    assert COMMENT not in page
    assert "Dana Reyes" not in page


@pytest.mark.parametrize("name", ["journal:calendar", "journal:trends", "journal:entry"])
def test_a_manager_never_opens_a_journal_page(client, manager, patient, name):
    args = [manager.today()] if name == "journal:entry" else []
    client.force_login(manager)
    assert client.get(reverse(name, args=args)).status_code == 404
    if name == "journal:entry":
        assert client.get(reverse(name, args=[patient.today()])).status_code == 404
