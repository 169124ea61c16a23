"""A therapist joins the practice by a practice manager's invitation: the same
outbox-backed, single-use, signed link as a patient's, creating a therapist account
with no patients."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts import invitations
from accounts.invitations import InvitationError
from accounts.models import CareLink, Invitation, User
from journal.models import Symptom
from notifications.emails import INVITATION, THERAPIST_INVITATION
from notifications.models import Message
from tests.factories import InvitationFactory, UserFactory

NEW_THERAPIST = {
    "first_name": "Kit",
    "last_name": "Okafor",
    "password1": "quiet-river-morning-42",
    "password2": "quiet-river-morning-42",
    "timezone": "America/New_York",
}


def link_in(message) -> str:
    return re.search(r"https?://\S+/invite/\S+/", message.body).group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.fixture
def therapist_invitation(manager):
    return InvitationFactory(
        therapist=manager, email="kit@example.com", first_name="Kit", role="therapist"
    )


def accept_url(invitation) -> str:
    return invitations.accept_path(invitation)


class TestAManagerInvitesATherapist:
    def test_the_email_is_worded_for_a_therapist_and_its_link_opens_the_form(
        self, client, manager, deliver_outbox
    ):
        client.force_login(manager)
        response = client.post(
            reverse("accounts:invite_therapist"), {"email": "Kit@Example.com", "first_name": "Kit"}
        )
        assert response.status_code == 302
        invitation = Invitation.objects.get()
        assert (invitation.email, invitation.role, invitation.therapist) == (
            "kit@example.com",
            Invitation.Role.THERAPIST,
            manager,
        )
        page = client.get(response.url).content.decode()
        assert "Invitation to kit@example.com saved" in page
        assert "kit@example.com" in page  # listed as waiting

        assert Message.objects.filter(kind=THERAPIST_INVITATION, target_id=invitation.pk).exists()
        assert not Message.objects.filter(kind=INVITATION).exists()
        assert deliver_outbox() == 1
        [message] = mail.outbox
        assert message.to == ["kit@example.com"]
        assert message.subject.endswith(
            "Jo Carter invited you to join Between Sessions as a therapist"
        )
        assert "Hello Kit," in message.body
        assert "the practice manager" in message.body
        assert "You start with no patients" in message.body
        assert "prepare for your sessions" not in message.body  # the patient's wording
        assert link_in(message) in message.alternatives[0][0]

        client.logout()
        form = client.get(path_of(link_in(message)))
        assert form.status_code == 200
        text = form.content.decode()
        assert "Create your therapist account" in text
        assert "Daily reminder time" not in text

    @pytest.mark.parametrize("person", ["therapist", "patient"])
    def test_only_a_practice_manager_can(self, client, request, person, deliver_outbox):
        client.force_login(request.getfixturevalue(person))
        assert client.get(reverse("accounts:invite_therapist")).status_code == 404
        response = client.post(reverse("accounts:invite_therapist"), {"email": "kit@example.com"})
        assert response.status_code == 404
        assert not Invitation.objects.exists()
        assert deliver_outbox() == 0

    def test_signed_out_it_asks_for_sign_in(self, client, db):
        response = client.post(reverse("accounts:invite_therapist"), {"email": "kit@example.com"})
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
        assert not Invitation.objects.exists()

    def test_the_service_refuses_anyone_but_a_manager(self, therapist):
        with pytest.raises(PermissionError):
            invitations.invite_therapist(therapist, "kit@example.com")
        assert not Invitation.objects.exists()

    @pytest.mark.parametrize(
        ("data", "error"),
        [
            ({"email": "not-an-email"}, "Enter a valid email address."),
            ({"email": "dana@example.com"}, "This address already has an account."),
            (
                {"email": "kit@example.com", "first_name": "Kit\nReset your password"},
                "A name fits on one line.",
            ),
            (
                {"email": "kit@example.com", "first_name": "Kit see evil.example"},
                "A name can’t hold a web or email address.",
            ),
        ],
    )
    def test_bad_input_is_refused_and_nothing_is_sent(
        self, client, manager, data, error, deliver_outbox
    ):
        UserFactory(email="dana@example.com", therapist=True)
        client.force_login(manager)
        response = client.post(reverse("accounts:invite_therapist"), data)
        assert response.status_code == 400
        assert error in response.content.decode()
        assert not Invitation.objects.exists()
        assert deliver_outbox() == 0

    def test_inviting_again_renews_the_same_invitation(self, client, manager):
        client.force_login(manager)
        client.post(reverse("accounts:invite_therapist"), {"email": "kit@example.com"})
        client.post(reverse("accounts:invite_therapist"), {"email": "kit@example.com"})
        assert Invitation.objects.count() == 1

    def test_it_never_shows_in_a_therapists_patient_list(
        self, client, therapist, therapist_invitation
    ):
        client.force_login(therapist)
        assert (
            "kit@example.com" not in client.get(reverse("accounts:patient_list")).content.decode()
        )


class TestAcceptingATherapistInvitation:
    def test_it_creates_a_verified_therapist_with_no_patients(
        self, client, manager, therapist_invitation
    ):
        response = client.post(accept_url(therapist_invitation), NEW_THERAPIST)
        assert response.status_code == 302
        person = User.objects.get(email="kit@example.com")
        assert person.role == User.Role.THERAPIST
        assert person.timezone == "America/New_York"
        assert not CareLink.objects.filter(therapist=person).exists()
        assert not CareLink.objects.filter(patient=person).exists()
        assert not Symptom.objects.filter(patient=person).exists()
        assert EmailAddress.objects.get(user=person).verified
        therapist_invitation.refresh_from_db()
        assert therapist_invitation.accepted_by == person
        # Signed in, on the therapist's pages.
        home = client.get(reverse("home"), follow=True).content.decode()
        assert "Welcome, Kit." in home
        assert client.get(reverse("accounts:patient_list")).status_code == 200

    def test_the_link_works_only_once(self, client, therapist_invitation):
        client.post(accept_url(therapist_invitation), NEW_THERAPIST)
        client.logout()
        again = client.post(accept_url(therapist_invitation), NEW_THERAPIST)
        assert again.status_code == 410
        assert "already been used" in again.content.decode()
        assert User.objects.filter(email="kit@example.com").count() == 1

    def test_a_withdrawn_link_says_who_to_ask(self, client, therapist_invitation):
        invitations.revoke(therapist_invitation)
        page = client.get(accept_url(therapist_invitation))
        assert page.status_code == 410
        assert "Your practice manager withdrew it." in page.content.decode()

    def test_bad_input_is_shown_and_nothing_is_created(self, client, therapist_invitation):
        response = client.post(
            accept_url(therapist_invitation),
            {**NEW_THERAPIST, "first_name": "Kit\r\nBcc: x", "password2": "different"},
        )
        assert response.status_code == 400
        assert not User.objects.filter(email="kit@example.com").exists()
        assert Invitation.objects.get().accepted_at is None

    def test_a_signed_in_person_cannot_use_it(self, client, patient, therapist_invitation):
        client.force_login(patient)
        response = client.post(accept_url(therapist_invitation), NEW_THERAPIST)
        assert response.status_code == 403
        assert "new therapist account" in response.content.decode()
        patient.refresh_from_db()
        assert patient.role == User.Role.PATIENT
        assert Invitation.objects.get().accepted_at is None

    def test_an_address_that_has_an_account_since_is_told_so(self, client, therapist_invitation):
        UserFactory(email="kit@example.com")
        response = client.post(accept_url(therapist_invitation), NEW_THERAPIST)
        assert response.status_code == 409
        assert "already has an account" in response.content.decode()
        assert User.objects.get(email="kit@example.com").role == User.Role.PATIENT

    def test_the_two_kinds_of_invitation_cannot_be_swapped(self, therapist, manager):
        patient_invitation = InvitationFactory(therapist=therapist, email="a@example.com")
        with pytest.raises(InvitationError):
            invitations.accept_as_new_therapist(patient_invitation, password="x")
        staff_invitation = InvitationFactory(
            therapist=manager, email="b@example.com", role="therapist"
        )
        with pytest.raises(InvitationError):
            invitations.accept_as_new_patient(staff_invitation, password="x")
        assert not User.objects.filter(email__in=["a@example.com", "b@example.com"]).exists()
        assert not Invitation.objects.exclude(accepted_at=None).exists()
