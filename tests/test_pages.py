import pytest
from django.test import override_settings
from django.urls import reverse

from tests.factories import (
    AllianceAlertFactory,
    CareLinkFactory,
    EscalationFactory,
    InvitationFactory,
    SessionFeedbackFactory,
)


def test_the_landing_page_explains_and_offers_sign_in(client, db):
    page = client.get("/").content.decode()
    assert "Sign in" in page
    assert 'href="/static/vendor/bootstrap/bootstrap.min.css"' in page
    assert "cdn" not in page.lower()


@override_settings(DEBUG=False)
def test_a_missing_page_gets_the_sites_own_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "We couldn’t find that page" in page
    assert '<main id="main"' in page


@pytest.mark.parametrize("person", ["patient", "therapist", "manager"])
def test_every_page_has_landmarks_and_a_skip_link(client, request, person):
    client.force_login(request.getfixturevalue(person))
    page = client.get(reverse("home"), follow=True).content.decode()
    for landmark in ("<header", 'aria-label="Main"', '<main id="main"', "<footer"):
        assert landmark in page
    assert 'href="#main"' in page


def test_the_navigation_differs_by_role(client, patient, therapist):
    client.force_login(therapist)
    assert "Invite a patient" in client.get(reverse("prep:therapist_dashboard")).content.decode()
    client.force_login(patient)
    assert "Invite a patient" not in client.get(reverse("prep:patient_home")).content.decode()


def test_the_patient_list_costs_the_same_queries_for_few_and_many(
    client, therapist, django_assert_max_num_queries
):
    def add(count):
        for _ in range(count):
            CareLinkFactory(therapist=therapist)
            InvitationFactory(therapist=therapist)

    client.force_login(therapist)
    add(3)
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("accounts:patient_list"))
    add(40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("accounts:patient_list"))
    assert page.content.decode().count('class="list-group-item') == 86


def test_the_practice_view_costs_the_same_queries_for_few_and_many(
    client, manager, django_assert_max_num_queries
):
    def add(count):
        """Care links, with feedback, alerts and escalations on them."""
        for _ in range(count):
            link = CareLinkFactory()
            feedback = SessionFeedbackFactory(patient=link.patient, therapist=link.therapist)
            AllianceAlertFactory(feedback=feedback)
            EscalationFactory(
                feedback=SessionFeedbackFactory(patient=link.patient, therapist=link.therapist)
            )

    client.force_login(manager)
    add(1)
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("feedback:practice_home"))
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("feedback:practice_home"))
