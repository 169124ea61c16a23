"""No page is kept by a browser or proxy, signed in or not."""

import pytest
from django.urls import reverse

from accounts import invitations
from appointments.links import action_link
from tests.factories import AppointmentFactory, InvitationFactory


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.mark.parametrize("page", ["invitation", "confirm", "cancel"])
def test_emailed_link_pages_are_not_stored_without_a_sign_in(client, therapist, patient, page):
    if page == "invitation":
        url = invitations.accept_path(InvitationFactory(therapist=therapist))
    else:
        url = path_of(action_link(AppointmentFactory(therapist=therapist, patient=patient), page))
    response = client.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_signed_in_pages_are_not_stored(client, patient):
    client.force_login(patient)
    response = client.get(reverse("prep:patient_home"))
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
