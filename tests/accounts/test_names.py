"""Names go into emails the practice sends: they fit on one line and hold no link."""

import pytest
from django.urls import reverse

from accounts.forms import validate_plain_name
from accounts.models import Invitation


@pytest.mark.parametrize(
    "name",
    ["Robin", "Mary-Jane", "Seán O'Brien", "J. R. Smith", "Anne-Marie St. John", "St.James"],
)
def test_ordinary_names_are_accepted(name):
    validate_plain_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "Please reset your NHS password at evil.example",
        "Robin\nClick here",
        "see https://evil.example/reset",
        "www.evil",
        "robin@evil.example",
        "go to nhs-login.co/reset",
    ],
)
def test_names_that_carry_a_link_or_a_line_break_are_refused(name):
    with pytest.raises(Exception, match="name"):
        validate_plain_name(name)


def test_an_invitation_with_a_link_for_a_name_is_refused_on_the_form(client, therapist):
    client.force_login(therapist)
    response = client.post(
        reverse("accounts:invite_patient"),
        {"email": "robin@example.com", "first_name": "reset your password at evil.example"},
    )
    assert response.status_code == 400
    assert "can’t hold a web or email address" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_name_with_a_line_break_is_refused_in_settings(client, patient):
    client.force_login(patient)
    response = client.post(
        reverse("accounts:profile"),
        {"first_name": "Sam\nBcc: x", "last_name": "", "timezone": "Europe/London"},
    )
    assert response.status_code == 400
    patient.refresh_from_db()
    assert patient.first_name == "Sam"
