"""Who can open which page: every object URL against every role and every other
patient or therapist. A 404 tells an outsider nothing about what exists."""

import pytest
from django.urls import reverse

from tests.conftest import PEOPLE, assert_access
from tests.factories import InvitationFactory


@pytest.fixture
def urls(patient, therapist):
    invitation = InvitationFactory(therapist=therapist)
    return {
        "patient_list": ("get", reverse("accounts:patient_list")),
        "invite_patient": ("get", reverse("accounts:invite_patient")),
        "patient_detail": ("get", reverse("prep:patient_detail", args=[patient.pk])),
        "resend_invitation": (
            "post",
            reverse("accounts:resend_invitation", args=[invitation.pk]),
        ),
        "revoke_invitation": (
            "post",
            reverse("accounts:revoke_invitation", args=[invitation.pk]),
        ),
        "therapist_dashboard": ("get", reverse("prep:therapist_dashboard")),
        "patient_home": ("get", reverse("prep:patient_home")),
        "practice_home": ("get", reverse("feedback:practice_home")),
        "profile": ("get", reverse("accounts:profile")),
    }


# What each person gets; anything not listed is a 404 for a signed-in person. The
# therapist's own patient, invitation and pages belong to "therapist" only.
ALLOWED = {
    "patient_list": {"therapist": 200, "other_therapist": 200},
    "invite_patient": {"therapist": 200, "other_therapist": 200},
    "patient_detail": {"therapist": 200},
    "resend_invitation": {"therapist": 302},
    "revoke_invitation": {"therapist": 302},
    "therapist_dashboard": {"therapist": 200, "other_therapist": 200},
    "patient_home": {"patient": 200, "other_patient": 200},
    "practice_home": {"manager": 200},
    "profile": {person: 200 for person in PEOPLE if person != "anonymous"},
}


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("page", list(ALLOWED))
def test_access_matrix(client, people, urls, person, page):
    method, url = urls[page]
    assert_access(client, people[person], method, url, ALLOWED[page].get(person, 404))


def test_a_therapist_lists_only_their_own_patients(client, therapist, patient, other_patient):
    client.force_login(therapist)
    page = client.get(reverse("accounts:patient_list")).content.decode()
    assert patient.email in page
    assert other_patient.email not in page


def test_an_ended_care_link_closes_the_patient_page(client, therapist, patient):
    from django.utils import timezone

    patient.therapist_links.update(ended_at=timezone.now())
    client.force_login(therapist)
    response = client.get(reverse("prep:patient_detail", args=[patient.pk]))
    assert response.status_code == 404


def test_another_therapists_invitation_is_untouched(client, other_therapist, therapist):
    invitation = InvitationFactory(therapist=therapist)
    client.force_login(other_therapist)
    client.post(reverse("accounts:revoke_invitation", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.is_pending


def test_state_changes_refuse_get(client, therapist):
    invitation = InvitationFactory(therapist=therapist)
    client.force_login(therapist)
    response = client.get(reverse("accounts:revoke_invitation", args=[invitation.pk]))
    assert response.status_code == 405
    invitation.refresh_from_db()
    assert invitation.is_pending
