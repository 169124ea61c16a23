"""Goals agreed between therapist and patient: the therapist adds them and changes
their status, both sides read them and comment on them, and the pages cost the same
number of queries with three goals or forty."""

import pytest
from django.db import connection
from django.urls import reverse

from prep.models import Goal, GoalComment
from tests.factories import GoalFactory, HomeworkFactory, UserFactory

TITLE = "Go to the Saturday market on my own"
WHY = "I used to love it and I want my weekends back."


def plan_url(patient) -> str:
    return reverse("prep:patient_plan", args=[patient.pk])


@pytest.fixture
def goal(patient, therapist):
    return GoalFactory(patient=patient, created_by=therapist, title=TITLE, why_it_matters=WHY)


def test_a_therapist_adds_a_goal_that_the_patient_then_sees(client, therapist, patient):
    client.force_login(therapist)
    response = client.post(
        reverse("prep:add_goal", args=[patient.pk]), {"title": TITLE, "why_it_matters": WHY}
    )
    goal = Goal.objects.get(patient=patient)
    assert response.url == f"{plan_url(patient)}#goal-{goal.pk}"
    assert (goal.title, goal.why_it_matters) == (TITLE, WHY)
    assert goal.created_by == therapist
    assert goal.status == Goal.Status.ACTIVE
    assert "Sam can see it now." in client.get(response.url).content.decode()

    client.force_login(patient)
    page = client.get(reverse("prep:goals")).content.decode()
    assert TITLE in page
    assert WHY in page
    assert "Working on it" in page


def test_a_goal_needs_no_reason(client, therapist, patient):
    client.force_login(therapist)
    client.post(reverse("prep:add_goal", args=[patient.pk]), {"title": TITLE})
    assert Goal.objects.get(patient=patient).why_it_matters == ""


@pytest.mark.parametrize(
    "data",
    [
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 201},
        {"title": TITLE, "why_it_matters": "x" * 2001},
    ],
    ids=["empty", "blank", "title-too-long", "reason-too-long"],
)
def test_a_goal_that_cannot_be_saved_is_sent_back_with_the_reason(client, therapist, patient, data):
    client.force_login(therapist)
    response = client.post(reverse("prep:add_goal", args=[patient.pk]), data)
    assert response.status_code == 400
    assert 'class="invalid-feedback' in response.content.decode()
    assert not Goal.objects.exists()


def test_goal_text_is_stored_encrypted(goal):
    with connection.cursor() as cursor:
        cursor.execute("SELECT title, why_it_matters FROM prep_goal WHERE id = %s", [goal.pk])
        stored = " ".join(cursor.fetchone())
    assert "market" not in stored
    assert "weekends" not in stored


def test_the_therapist_changes_the_status_and_the_patient_sees_it(client, therapist, patient, goal):
    client.force_login(therapist)
    response = client.post(reverse("prep:goal_status", args=[goal.pk]), {"status": "achieved"})
    assert response.url == f"{plan_url(patient)}#goal-{goal.pk}"
    goal.refresh_from_db()
    assert goal.status == Goal.Status.ACHIEVED
    client.force_login(patient)
    assert "Achieved" in client.get(reverse("prep:goals")).content.decode()


@pytest.mark.parametrize("data", [{}, {"status": "finished"}, {"status": ""}])
def test_a_status_not_on_the_list_changes_nothing(client, therapist, goal, data):
    client.force_login(therapist)
    response = client.post(reverse("prep:goal_status", args=[goal.pk]), data)
    assert response.status_code == 400
    assert "Choose one of the listed statuses." in response.content.decode()
    goal.refresh_from_db()
    assert goal.status == Goal.Status.ACTIVE


def test_the_therapist_page_offers_every_status_with_the_current_one_chosen(
    client, therapist, patient, goal
):
    Goal.objects.filter(pk=goal.pk).update(status=Goal.Status.PAUSED)
    client.force_login(therapist)
    page = client.get(plan_url(patient)).content.decode()
    for value, label in Goal.Status.choices:
        assert f'<option value="{value}"' in page
        assert label in page
    assert '<option value="paused" selected>' in page


def test_the_patient_cannot_change_a_status_and_is_not_offered_to(client, patient, goal):
    client.force_login(patient)
    page = client.get(reverse("prep:goals")).content.decode()
    assert reverse("prep:goal_status", args=[goal.pk]) not in page
    response = client.post(reverse("prep:goal_status", args=[goal.pk]), {"status": "dropped"})
    assert response.status_code == 404


def test_patient_and_therapist_talk_about_a_goal_in_comments(client, patient, therapist, goal):
    """GIVEN a goal
    WHEN the patient comments on it and then their therapist replies
    THEN both comments are on both pages, in order, each with who wrote it."""
    client.force_login(patient)
    response = client.post(
        reverse("prep:comment_on_goal", args=[goal.pk]), {"text": "Went for ten minutes."}
    )
    assert response.url == f"{reverse('prep:goals')}#goal-{goal.pk}"
    client.force_login(therapist)
    response = client.post(
        reverse("prep:comment_on_goal", args=[goal.pk]), {"text": "That is a real start."}
    )
    assert response.url == f"{plan_url(patient)}#goal-{goal.pk}"

    assert [(c.author, c.text) for c in GoalComment.objects.filter(goal=goal)] == [
        (patient, "Went for ten minutes."),
        (therapist, "That is a real start."),
    ]
    therapist_page = client.get(plan_url(patient)).content.decode()
    assert therapist_page.index("Went for ten minutes.") < therapist_page.index("real start")
    assert "Sam Patel" in therapist_page
    client.force_login(patient)
    patient_page = client.get(reverse("prep:goals")).content.decode()
    assert "Went for ten minutes." in patient_page
    assert "That is a real start." in patient_page
    assert "Dana Reyes" in patient_page
    assert ">You<" in patient_page


def test_a_comment_by_someone_who_has_left_still_shows(client, patient, goal):
    former = UserFactory(therapist=True)
    GoalComment.objects.create(goal=goal, author=former, text="Keep going.")
    former.delete()
    client.force_login(patient)
    page = client.get(reverse("prep:goals")).content.decode()
    assert "Keep going." in page
    assert "Someone no longer here" in page


@pytest.mark.parametrize("text", ["", "  ", "x" * 2001], ids=["empty", "blank", "too-long"])
@pytest.mark.parametrize("author", ["patient", "therapist"])
def test_a_comment_that_cannot_be_saved_is_shown_again_with_the_reason(
    client, request, goal, author, text
):
    client.force_login(request.getfixturevalue(author))
    response = client.post(reverse("prep:comment_on_goal", args=[goal.pk]), {"text": text})
    assert response.status_code == 400
    page = response.content.decode()
    assert TITLE in page  # the page the person came from, not an error page
    assert f'id="comment-{goal.pk}-error"' in page
    assert not GoalComment.objects.exists()


def test_goals_show_for_the_patient_in_the_order_they_were_agreed(client, patient):
    for title in ("First", "Second", "Third"):
        GoalFactory(patient=patient, title=f"{title} goal")
    client.force_login(patient)
    page = client.get(reverse("prep:goals")).content.decode()
    assert page.index("First goal") < page.index("Second goal") < page.index("Third goal")


def test_a_patient_without_goals_is_told_kindly(client, patient):
    client.force_login(patient)
    page = client.get(reverse("prep:goals")).content.decode()
    assert "No goals yet." in page
    assert "Nothing to do right now." in page


def test_the_patients_navigation_leads_to_goals_and_agenda(client, patient):
    client.force_login(patient)
    page = client.get(reverse("prep:patient_home")).content.decode()
    assert f'href="{reverse("prep:goals")}"' in page
    assert f'href="{reverse("prep:agenda")}"' in page


def add_goals_with_comments_and_homework(patient, therapist, count: int) -> None:
    for n in range(count):
        goal = GoalFactory(patient=patient, created_by=therapist)
        GoalComment.objects.bulk_create(
            [
                GoalComment(goal=goal, author=patient, text=f"My note {n}"),
                GoalComment(goal=goal, author=therapist, text=f"Reply {n}"),
            ]
        )
        HomeworkFactory(patient=patient, set_by=therapist)


def test_the_goals_page_costs_the_same_queries_for_few_and_many(
    client, patient, therapist, django_assert_max_num_queries
):
    add_goals_with_comments_and_homework(patient, therapist, 3)
    client.force_login(patient)
    with django_assert_max_num_queries(6) as few:
        client.get(reverse("prep:goals"))
    add_goals_with_comments_and_homework(patient, therapist, 37)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("prep:goals")).content.decode()
    assert page.count('id="goal-') == 40
    assert page.count("Reply ") == 40
    assert page.count('name="done" value="1"') == 40


def test_the_plan_page_costs_the_same_queries_for_few_and_many(
    client, patient, therapist, django_assert_max_num_queries
):
    add_goals_with_comments_and_homework(patient, therapist, 3)
    client.force_login(therapist)
    with django_assert_max_num_queries(8) as few:
        client.get(plan_url(patient))
    add_goals_with_comments_and_homework(patient, therapist, 37)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(plan_url(patient)).content.decode()
    assert page.count('id="goal-') == 40
    assert page.count("My note ") == 40
    assert page.count("Not done yet") == 40
