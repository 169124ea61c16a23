"""Who can open which goals, homework and agenda page: every plan URL in prep/urls.py
against every role and every other patient or therapist. Goals and homework are the
patient's and their active therapists'; the agenda is the patient's alone; a 404
tells an outsider nothing about what exists."""

import pytest
from django.urls import reverse
from django.utils import timezone

from prep.models import AgendaItem, Goal, GoalComment, Homework
from tests.conftest import PEOPLE
from tests.factories import (
    AgendaItemFactory,
    CareLinkFactory,
    DailyEntryFactory,
    GoalFactory,
    HomeworkFactory,
    UserFactory,
)

AGENDA_TEXT = "Why do Sunday evenings feel so heavy"
THOUGHT = "I froze again when my manager raised her voice"


@pytest.fixture
def goal(patient, therapist):
    return GoalFactory(patient=patient, created_by=therapist, title="Walk to work twice a week")


@pytest.fixture
def homework(patient, therapist):
    return HomeworkFactory(patient=patient, set_by=therapist, description="Note one good moment")


@pytest.fixture
def item(patient):
    return AgendaItemFactory(patient=patient, text=AGENDA_TEXT)


@pytest.fixture
def urls(patient, goal, homework, item):
    """Each page: its method, address and a valid request body, so that whoever is
    allowed in gets a success and never a form error."""
    return {
        "goals": ("get", reverse("prep:goals"), {}),
        "comment_on_goal": (
            "post",
            reverse("prep:comment_on_goal", args=[goal.pk]),
            {"text": "Managed it on Tuesday."},
        ),
        "homework_checklist": ("get", reverse("prep:homework_checklist"), {}),
        "toggle_homework": ("post", reverse("prep:toggle_homework", args=[homework.pk]), {}),
        "agenda": ("get", reverse("prep:agenda"), {}),
        "agenda_done": ("post", reverse("prep:agenda_done", args=[item.pk]), {}),
        "agenda_delete": ("post", reverse("prep:agenda_delete", args=[item.pk]), {}),
        "patient_plan": ("get", reverse("prep:patient_plan", args=[patient.pk]), {}),
        "add_goal": (
            "post",
            reverse("prep:add_goal", args=[patient.pk]),
            {"title": "Sleep before midnight"},
        ),
        "goal_status": (
            "post",
            reverse("prep:goal_status", args=[goal.pk]),
            {"status": Goal.Status.ACHIEVED},
        ),
        "add_homework": (
            "post",
            reverse("prep:add_homework", args=[patient.pk]),
            {"description": "Try the breathing exercise once a day"},
        ),
    }


# A patient's own pages, which take no id: any patient opens their own.
OWN_PAGES = {"goals": 200, "homework_checklist": 200, "agenda": 200}

# What each person gets; anything not listed is a 404 for a signed-in person. The
# goal, homework and agenda item all belong to "patient", whose therapist is
# "therapist".
ALLOWED = {
    **{page: {"patient": status, "other_patient": status} for page, status in OWN_PAGES.items()},
    "comment_on_goal": {"patient": 302, "therapist": 302},
    "toggle_homework": {"patient": 302},
    "agenda_done": {"patient": 302},
    "agenda_delete": {"patient": 302},
    "patient_plan": {"therapist": 200},
    "add_goal": {"therapist": 302},
    "goal_status": {"therapist": 302},
    "add_homework": {"therapist": 302},
}

POST_ONLY = [page for page in ALLOWED if page not in OWN_PAGES and page != "patient_plan"]


# prep/urls.py also holds the homes, session lists and summaries, whose access
# matrix is in test_prep_access.py; every other name in it is a plan page.
SESSION_PAGES = {
    "patient_home",
    "therapist_dashboard",
    "appointment_list",
    "session_list",
    "share_automatically",
    # The therapist's page about one patient: its matrix is in test_patient_page.py.
    "patient_detail",
    "summary_read",
    "summary_review",
    "summary_print",
    "summary_generate",
    "summary_choices",
    "summary_add_agenda",
    # A patient's rights: their own matrix is in test_rights.py.
    "my_data",
    "delete_account",
    "account_deleted",
    # Bringing earlier own sessions into care: its matrix is in test_linking.py.
    "link_history",
    # A shared version by link and as a PDF: their matrices are in test_summary_links.py
    # (the patient's pages) and test_shared_summary_page.py (the reader's, no sign-in).
    "summary_links",
    "summary_pdf",
    "summary_link_email",
    "summary_link_revoke",
    "shared_summary",
    "shared_summary_pdf",
}


def test_the_matrix_covers_every_plan_url(urls):
    from prep.urls import urlpatterns

    plan_pages = {pattern.name for pattern in urlpatterns} - SESSION_PAGES
    assert set(urls) == set(ALLOWED) == plan_pages


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("page", list(ALLOWED))
def test_access_matrix(client, people, urls, person, page):
    method, url, data = urls[page]
    if people[person]:
        client.force_login(people[person])
    response = getattr(client, method)(url, data)
    if person == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    else:
        assert response.status_code == ALLOWED[page].get(person, 404), (page, person)


@pytest.mark.parametrize("page", POST_ONLY)
def test_state_changes_refuse_get(client, patient, therapist, urls, goal, homework, item, page):
    client.force_login(
        therapist if page in {"add_goal", "goal_status", "add_homework"} else patient
    )
    method, url, data = urls[page]
    assert method == "post"
    assert client.get(url, data).status_code == 405
    goal.refresh_from_db()
    homework.refresh_from_db()
    item.refresh_from_db()
    assert goal.status == Goal.Status.ACTIVE
    assert homework.done_at is None
    assert item.done_at is None
    assert Goal.objects.count() == 1
    assert Homework.objects.count() == 1
    assert not GoalComment.objects.exists()


def test_another_patient_cannot_comment_on_my_goal(client, other_patient, goal):
    client.force_login(other_patient)
    response = client.post(reverse("prep:comment_on_goal", args=[goal.pk]), {"text": "Hi"})
    assert response.status_code == 404
    assert not GoalComment.objects.exists()


def test_another_patient_cannot_tick_my_homework(client, other_patient, homework):
    client.force_login(other_patient)
    response = client.post(
        reverse("prep:toggle_homework", args=[homework.pk]),
        {"done": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 404
    homework.refresh_from_db()
    assert homework.done_at is None


def test_another_patient_cannot_close_or_delete_my_agenda_item(client, other_patient, item):
    client.force_login(other_patient)
    assert client.post(reverse("prep:agenda_done", args=[item.pk])).status_code == 404
    assert client.post(reverse("prep:agenda_delete", args=[item.pk])).status_code == 404
    item.refresh_from_db()
    assert item.done_at is None


def test_another_therapist_cannot_change_or_comment_on_my_patients_goal(
    client, other_therapist, goal
):
    client.force_login(other_therapist)
    status = client.post(reverse("prep:goal_status", args=[goal.pk]), {"status": "dropped"})
    comment = client.post(reverse("prep:comment_on_goal", args=[goal.pk]), {"text": "Hello"})
    assert (status.status_code, comment.status_code) == (404, 404)
    goal.refresh_from_db()
    assert goal.status == Goal.Status.ACTIVE
    assert not GoalComment.objects.exists()


def test_another_therapist_cannot_add_goals_or_homework_for_my_patient(
    client, other_therapist, patient
):
    client.force_login(other_therapist)
    goal = client.post(reverse("prep:add_goal", args=[patient.pk]), {"title": "Intrude"})
    homework = client.post(
        reverse("prep:add_homework", args=[patient.pk]), {"description": "Intrude"}
    )
    assert (goal.status_code, homework.status_code) == (404, 404)
    assert Goal.objects.filter(patient=patient).count() == 0
    assert Homework.objects.filter(patient=patient).count() == 0


def test_a_therapist_cannot_reach_a_therapist_by_their_id(client, therapist, other_therapist):
    """The patient id in a plan URL must name a patient: another therapist's id is a 404
    even if, by some mistake, a care link pointed at them."""
    CareLinkFactory(therapist=therapist, patient=other_therapist)
    client.force_login(therapist)
    assert client.get(reverse("prep:patient_plan", args=[other_therapist.pk])).status_code == 404
    goal = GoalFactory(patient=other_therapist)
    response = client.post(reverse("prep:goal_status", args=[goal.pk]), {"status": "dropped"})
    assert response.status_code == 404


def test_a_second_active_therapist_of_the_patient_shares_the_goals(client, patient, goal):
    colleague = UserFactory(therapist=True)
    CareLinkFactory(therapist=colleague, patient=patient)
    client.force_login(colleague)
    assert client.get(reverse("prep:patient_plan", args=[patient.pk])).status_code == 200
    response = client.post(reverse("prep:comment_on_goal", args=[goal.pk]), {"text": "Noted."})
    assert response.status_code == 302
    assert GoalComment.objects.get().author == colleague


def test_an_ended_care_link_closes_every_therapist_page(client, therapist, patient, goal):
    patient.therapist_links.update(ended_at=timezone.now())
    client.force_login(therapist)
    responses = [
        client.get(reverse("prep:patient_plan", args=[patient.pk])),
        client.post(reverse("prep:add_goal", args=[patient.pk]), {"title": "Late goal"}),
        client.post(reverse("prep:goal_status", args=[goal.pk]), {"status": "dropped"}),
        client.post(reverse("prep:comment_on_goal", args=[goal.pk]), {"text": "Late"}),
        client.post(reverse("prep:add_homework", args=[patient.pk]), {"description": "Late"}),
    ]
    assert [response.status_code for response in responses] == [404] * 5
    goal.refresh_from_db()
    assert goal.status == Goal.Status.ACTIVE
    assert Goal.objects.count() == 1
    assert not GoalComment.objects.exists()


def test_the_therapist_sees_goals_and_homework_but_never_the_agenda_or_journal(
    client, therapist, patient, goal, homework, item
):
    """GIVEN a patient with a goal, homework, an agenda item and a journal entry they
    flagged to bring up, with their own words in it
    WHEN their therapist opens the plan page and the patient's page
    THEN the goal and homework are there, and neither the agenda item nor the
    journal entry's words appear anywhere."""
    DailyEntryFactory(patient=patient, thoughts=THOUGHT, discuss_next_session=True)
    client.force_login(therapist)
    plan = client.get(reverse("prep:patient_plan", args=[patient.pk])).content.decode()
    detail = client.get(reverse("prep:patient_detail", args=[patient.pk])).content.decode()
    assert "Walk to work twice a week" in plan
    assert "Note one good moment" in plan
    assert reverse("prep:patient_plan", args=[patient.pk]) in detail
    for page in (plan, detail):
        assert AGENDA_TEXT not in page
        assert THOUGHT not in page


def test_a_patient_sees_only_their_own_goals_homework_and_agenda(
    client, other_patient, goal, homework, item
):
    client.force_login(other_patient)
    goals = client.get(reverse("prep:goals")).content.decode()
    checklist = client.get(reverse("prep:homework_checklist")).content.decode()
    agenda = client.get(reverse("prep:agenda")).content.decode()
    assert "Walk to work twice a week" not in goals
    assert "Note one good moment" not in goals + checklist
    assert AGENDA_TEXT not in agenda
    assert AgendaItem.objects.filter(patient=other_patient).count() == 0
