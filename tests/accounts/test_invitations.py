import re
from datetime import timedelta
from smtplib import SMTPException
from types import SimpleNamespace
from unittest import mock

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import invitations
from accounts.invitations import InvitationError
from accounts.models import CareLink, Invitation, User
from journal.entries import STARTER_SYMPTOMS
from journal.models import ParkedTopic, Symptom
from notifications.compose import MESSAGE_HEADER
from notifications.emails import INVITATION
from notifications.models import Message
from tests.conftest import PEOPLE
from tests.factories import (
    PASSWORD,
    DailyEntryFactory,
    InvitationFactory,
    SymptomFactory,
    SymptomRatingFactory,
    UserFactory,
)

NEW_PATIENT = {
    "first_name": "Robin",
    "last_name": "Hart",
    "password1": "quiet-river-morning-42",
    "password2": "quiet-river-morning-42",
    "timezone": "Europe/Berlin",
    "reminder_time": "21:30",
}


def link_in(message) -> str:
    return re.search(r"https?://\S+/invite/\S+/", message.body).group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.fixture
def invitation(therapist):
    return InvitationFactory(therapist=therapist, email="robin@example.com")


def accept_url(invitation) -> str:
    return invitations.accept_path(invitation)


class TestInvitingAPatient:
    def test_it_emails_a_single_use_link_without_health_content(
        self, client, therapist, deliver_outbox
    ):
        client.force_login(therapist)
        response = client.post(
            reverse("accounts:invite_patient"),
            {"email": "Robin@Example.com", "first_name": "Robin"},
        )
        assert response.status_code == 302
        invitation = Invitation.objects.get()
        assert invitation.email == "robin@example.com"
        assert invitation.therapist == therapist

        assert deliver_outbox() == 1
        [message] = mail.outbox
        assert message.to == ["robin@example.com"]
        assert "Dana Reyes invited you" in message.subject
        assert "/invite/" in link_in(message)
        html = message.alternatives[0][0]
        assert link_in(message) in html
        for word in ("mood", "journal entry", "diagnos", "symptom"):
            assert word not in message.body.lower()
        row = Message.objects.get(kind=INVITATION, target_id=invitation.pk)
        assert message.extra_headers[MESSAGE_HEADER] == str(row.pk)

    def test_the_emailed_link_opens_the_invitation(self, client, therapist, deliver_outbox):
        client.force_login(therapist)
        client.post(reverse("accounts:invite_patient"), {"email": "robin@example.com"})
        deliver_outbox()
        client.logout()
        response = client.get(path_of(link_in(mail.outbox[0])))
        assert response.status_code == 200
        assert "robin@example.com" in response.content.decode()

    def test_inviting_the_same_address_later_renews_the_pending_invitation(
        self, client, therapist, deliver_outbox
    ):
        client.force_login(therapist)
        with time_machine.travel(timezone.now(), tick=False) as clock:
            client.post(reverse("accounts:invite_patient"), {"email": "robin@example.com"})
            deliver_outbox()
            clock.shift(timedelta(hours=1))
            client.post(reverse("accounts:invite_patient"), {"email": "robin@example.com"})
            deliver_outbox()
        assert Invitation.objects.count() == 1
        assert len(mail.outbox) == 2

    def test_a_doubled_post_within_the_same_minute_writes_one_email(
        self, client, therapist, deliver_outbox
    ):
        """GIVEN a therapist whose invite form is submitted twice (a double click, a
        replayed request) within the same minute
        THEN there is one invitation, one outbox row and one email."""
        client.force_login(therapist)
        start = timezone.now().replace(second=5, microsecond=0)
        with time_machine.travel(start, tick=False) as clock:
            for _ in range(2):
                response = client.post(
                    reverse("accounts:invite_patient"), {"email": "robin@example.com"}
                )
                assert response.status_code == 302
                clock.shift(timedelta(seconds=40))
            assert Invitation.objects.count() == 1
            assert Message.objects.filter(kind=INVITATION).count() == 1
            assert deliver_outbox() == 1
        assert len(mail.outbox) == 1

    def test_a_bad_address_is_refused_with_a_message(self, client, therapist, deliver_outbox):
        client.force_login(therapist)
        response = client.post(reverse("accounts:invite_patient"), {"email": "not-an-email"})
        assert response.status_code == 400
        assert "Enter a valid email address." in response.content.decode()
        assert not Invitation.objects.exists()
        assert not Message.objects.exists()
        assert deliver_outbox() == 0
        assert mail.outbox == []

    def test_an_existing_patient_is_not_invited_twice(self, client, therapist, patient):
        client.force_login(therapist)
        response = client.post(reverse("accounts:invite_patient"), {"email": patient.email})
        assert response.status_code == 400
        assert "already one of your patients" in response.content.decode()
        assert not Message.objects.filter(kind=INVITATION).exists()

    def test_pending_invitations_can_be_sent_again_and_withdrawn(
        self, client, therapist, invitation, deliver_outbox
    ):
        client.force_login(therapist)
        client.post(reverse("accounts:resend_invitation", args=[invitation.pk]))
        deliver_outbox()
        assert len(mail.outbox) == 1
        client.post(reverse("accounts:revoke_invitation", args=[invitation.pk]))
        invitation.refresh_from_db()
        assert invitation.revoked_at is not None
        response = client.get(link_in(mail.outbox[0]))
        assert response.status_code == 410
        assert "withdrawn" in response.content.decode()


@pytest.fixture(params=["unreachable", "refusing"])
def broken_mail_server(request):
    """A mail server that cannot be reached (the connection fails to open) or that
    refuses every message; `fix()` brings it back."""
    backend = "django.core.mail.backends.locmem.EmailBackend"
    if request.param == "unreachable":
        patcher = mock.patch(f"{backend}.open", side_effect=OSError("connection refused"))
    else:
        patcher = mock.patch(f"{backend}.send_messages", side_effect=SMTPException("refused"))
    patcher.start()
    yield SimpleNamespace(fix=patcher.stop)
    patcher.stop()


class TestTheInvitationEmailIsDeliveredLater:
    """The request saves the invitation and its email in the outbox; the per-minute
    dispatcher sends it. So a therapist never waits on, or sees a failure from, the
    mail server."""

    def test_an_invitation_does_not_wait_on_or_fail_with_the_mail_server(
        self, client, therapist, broken_mail_server
    ):
        client.force_login(therapist)
        response = client.post(reverse("accounts:invite_patient"), {"email": "robin@example.com"})
        assert response.status_code == 302
        invitation = Invitation.objects.get(email="robin@example.com")
        [row] = Message.objects.filter(kind=INVITATION)
        assert row.target_id == invitation.pk
        assert row.status == Message.Status.PENDING
        assert mail.outbox == []
        page = client.get(response.url).content.decode()
        assert "Invitation to robin@example.com saved; the email goes out within a minute." in page

    def test_once_the_mail_server_answers_exactly_one_email_is_sent(
        self, client, therapist, broken_mail_server, deliver_outbox
    ):
        client.force_login(therapist)
        client.post(reverse("accounts:invite_patient"), {"email": "robin@example.com"})
        assert deliver_outbox() == 0
        row = Message.objects.get(kind=INVITATION)
        assert row.status == Message.Status.PENDING
        assert row.last_error

        broken_mail_server.fix()
        with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
            assert deliver_outbox() == 1
            assert deliver_outbox() == 0
        [message] = mail.outbox
        assert message.to == ["robin@example.com"]
        row.refresh_from_db()
        assert row.status == Message.Status.SENT

    def test_a_withdrawn_invitations_pending_email_is_not_sent(
        self, client, therapist, deliver_outbox
    ):
        client.force_login(therapist)
        client.post(reverse("accounts:invite_patient"), {"email": "robin@example.com"})
        invitation = Invitation.objects.get()
        client.post(reverse("accounts:revoke_invitation", args=[invitation.pk]))
        assert deliver_outbox() == 0
        assert mail.outbox == []
        assert Message.objects.get(kind=INVITATION).status == Message.Status.SKIPPED

    def test_an_invitation_already_accepted_is_not_emailed_again(
        self, client, therapist, deliver_outbox
    ):
        client.force_login(therapist)
        client.post(reverse("accounts:invite_patient"), {"email": "robin@example.com"})
        client.logout()
        client.post(accept_url(Invitation.objects.get()), NEW_PATIENT)
        assert deliver_outbox() == 0
        assert mail.outbox == []

    def test_an_email_that_waited_past_the_links_expiry_is_not_sent(
        self, client, therapist, settings, deliver_outbox
    ):
        client.force_login(therapist)
        client.post(reverse("accounts:invite_patient"), {"email": "robin@example.com"})
        later = timezone.now() + timedelta(seconds=settings.INVITATION_MAX_AGE + 60)
        with time_machine.travel(later):
            assert deliver_outbox() == 0
        assert mail.outbox == []

    def test_the_email_to_a_former_patient_carries_none_of_their_health_content(
        self, client, therapist, patient, deliver_outbox
    ):
        """GIVEN a former patient with a journal (thoughts, symptoms, a parked topic)
        WHEN their therapist invites them back
        THEN the email says who invited them and how to join, nothing of what they
        logged."""
        CareLink.objects.filter(therapist=therapist, patient=patient).update(
            ended_at=timezone.now()
        )
        panic = SymptomFactory(patient=patient, name="Panic attacks")
        entry = DailyEntryFactory(patient=patient, thoughts="I felt invisible at dinner")
        SymptomRatingFactory(entry=entry, symptom=panic, severity=3)
        ParkedTopic.objects.create(patient=patient, title="My brother")

        client.force_login(therapist)
        response = client.post(reverse("accounts:invite_patient"), {"email": patient.email})
        assert response.status_code == 302
        assert deliver_outbox() == 1
        [message] = mail.outbox
        assert message.to == [patient.email]
        everything = " ".join([message.subject, message.body, message.alternatives[0][0]]).lower()
        for private in (
            "invisible",
            "panic",
            "brother",
            "mood",
            "symptom",
            "journal entry",
            "diagnos",
        ):
            assert private not in everything


class TestAcceptingAsANewPatient:
    def test_it_creates_a_verified_patient_in_the_therapists_care(
        self, client, therapist, invitation
    ):
        form = client.get(accept_url(invitation))
        assert form.status_code == 200
        assert "robin@example.com" in form.content.decode()

        response = client.post(accept_url(invitation), NEW_PATIENT)

        assert response.status_code == 302
        patient = User.objects.get(email="robin@example.com")
        assert patient.role == User.Role.PATIENT
        assert patient.timezone == "Europe/Berlin"
        assert patient.reminder_time.strftime("%H:%M") == "21:30"
        assert CareLink.objects.active().filter(therapist=therapist, patient=patient).exists()
        assert EmailAddress.objects.get(user=patient).verified
        invitation.refresh_from_db()
        assert invitation.accepted_by == patient
        # Signed in straight away, on their own start page.
        home = client.get(reverse("home"), follow=True)
        assert "Dana Reyes" in home.content.decode()

    def test_a_new_patient_starts_with_the_starter_symptoms(self, client, invitation):
        client.post(accept_url(invitation), NEW_PATIENT)
        patient = User.objects.get(email="robin@example.com")
        names = Symptom.objects.filter(patient=patient).values_list("name", flat=True)
        assert sorted(names) == sorted(STARTER_SYMPTOMS)
        # Ready on their first daily log.
        page = client.get(reverse("journal:entry", args=[patient.today()])).content.decode()
        for name in STARTER_SYMPTOMS:
            assert name in page

    def test_the_link_works_only_once(self, client, invitation):
        client.post(accept_url(invitation), NEW_PATIENT)
        client.logout()
        response = client.get(accept_url(invitation))
        assert response.status_code == 410
        assert "already been used" in response.content.decode()
        assert User.objects.filter(email="robin@example.com").count() == 1

    def test_an_expired_link_gets_a_clear_page(self, client, invitation, settings):
        url = accept_url(invitation)
        later = timezone.now() + timezone.timedelta(seconds=settings.INVITATION_MAX_AGE + 60)
        with time_machine.travel(later):
            response = client.get(url)
            posted = client.post(url, NEW_PATIENT)
        assert response.status_code == 410
        assert "expired" in response.content.decode()
        assert posted.status_code == 410
        assert not User.objects.filter(email="robin@example.com").exists()

    @pytest.mark.parametrize(
        "token",
        ["nonsense", "MQ:1abcde:tampered", invitations.make_token(Invitation(pk=999_999))],
    )
    def test_an_invalid_link_gets_a_clear_page(self, client, db, token):
        response = client.get(reverse("accounts:accept_invitation", args=[token]))
        assert response.status_code == 404
        assert "recognise this link" in response.content.decode()

    def test_a_signature_for_another_purpose_is_refused(self, client, invitation):
        from django.core import signing

        forged = signing.dumps(invitation.pk, salt="some.other.purpose")
        response = client.get(reverse("accounts:accept_invitation", args=[forged]))
        assert response.status_code == 404

    def test_bad_input_is_shown_on_the_form_and_nothing_is_created(self, client, invitation):
        bad = {**NEW_PATIENT, "password2": "something-else-entirely", "timezone": "Mars/Base"}
        response = client.post(accept_url(invitation), bad)
        assert response.status_code == 400
        page = response.content.decode()
        assert "The two passwords do not match." in page
        assert "Select a valid choice." in page
        assert not User.objects.filter(email="robin@example.com").exists()
        invitation.refresh_from_db()
        assert invitation.is_pending

    def test_a_weak_password_is_refused(self, client, invitation):
        weak = {**NEW_PATIENT, "password1": "password", "password2": "password"}
        response = client.post(accept_url(invitation), weak)
        assert response.status_code == 400
        assert "too common" in response.content.decode()


class TestAcceptingWithAnExistingAccount:
    def test_a_signed_out_patient_is_asked_to_sign_in_then_confirms(self, client, therapist):
        existing = UserFactory(email="robin@example.com")
        invitation = InvitationFactory(therapist=therapist, email="robin@example.com")
        url = accept_url(invitation)

        response = client.get(url)
        assert "Sign in to accept" in response.content.decode()

        login = client.post(
            f"{reverse('account_login')}?next={url}",
            {"login": existing.email, "password": PASSWORD},
        )
        assert login.status_code == 302
        assert login.url == url
        assert "Accept invitation" in client.get(url).content.decode()
        client.post(url)
        assert CareLink.objects.filter(therapist=therapist, patient=existing).exists()

    def test_a_different_signed_in_account_cannot_use_it(self, client, invitation, other_patient):
        client.force_login(other_patient)
        response = client.post(accept_url(invitation))
        assert response.status_code == 403
        assert not CareLink.objects.filter(patient=other_patient, therapist=invitation.therapist)

    def test_a_therapist_cannot_become_a_patient_through_it(self, client, therapist):
        colleague = UserFactory(therapist=True, email="robin@example.com")
        invitation = InvitationFactory(therapist=therapist, email="robin@example.com")
        client.force_login(colleague)
        response = client.post(accept_url(invitation))
        assert response.status_code == 403
        assert not CareLink.objects.filter(patient=colleague).exists()

    def test_an_ended_care_link_is_reopened(self, therapist, patient):
        link = CareLink.objects.get(therapist=therapist, patient=patient)
        link.ended_at = timezone.now()
        link.save()
        invitation = InvitationFactory(therapist=therapist, email=patient.email)
        invitations.accept(invitation, patient)
        link.refresh_from_db()
        assert link.is_active


def test_two_acceptances_racing_produce_one_link(therapist):
    """GIVEN two tabs that both loaded a valid invitation
    WHEN both accept
    THEN the first wins and the second is told the link was used."""
    patient = UserFactory(email="robin@example.com")
    invitation = InvitationFactory(therapist=therapist, email="robin@example.com")
    first, second = (
        Invitation.objects.get(pk=invitation.pk),
        Invitation.objects.get(pk=invitation.pk),
    )
    invitations.accept(first, patient)
    with pytest.raises(InvitationError) as error:
        invitations.accept(second, patient)
    assert error.value.reason == "used"
    assert CareLink.objects.filter(patient=patient).count() == 1


class TestInvitingSomeoneWhoHasAnAccount:
    """GIVEN a patient of another therapist (Alex, in Morgan Lee's care) invited by
    Dana Reyes: the email and the page ask them to sign in and accept, never to
    create an account, and accepting while signed in adds Dana's care."""

    @pytest.fixture
    def invitation(self, therapist, other_patient):
        return InvitationFactory(therapist=therapist, email=other_patient.email)

    def emailed(self, client, therapist, email, deliver_outbox):
        client.force_login(therapist)
        client.post(reverse("accounts:invite_patient"), {"email": email})
        client.logout()
        assert deliver_outbox() == 1
        [message] = mail.outbox
        return message.body, message.alternatives[0][0]

    def test_the_email_asks_them_to_sign_in_and_accept(
        self, client, therapist, other_patient, deliver_outbox
    ):
        for text in self.emailed(client, therapist, other_patient.email, deliver_outbox):
            assert "where you already have an account" in text
            assert "sign in to accept" in text.lower()
            assert "Create your account" not in text

    def test_a_new_address_is_still_asked_to_create_one(self, client, therapist, deliver_outbox):
        for text in self.emailed(client, therapist, "robin@example.com", deliver_outbox):
            assert "Create your account" in text
            assert "already have an account" not in text

    def test_signed_out_the_page_asks_them_to_sign_in_not_to_create_an_account(
        self, client, invitation, other_patient
    ):
        response = client.get(accept_url(invitation))
        assert response.status_code == 200
        page = response.content.decode()
        assert '<h1 class="h3">Sign in to accept</h1>' in page
        assert "Create your account" not in page
        assert 'type="password"' not in page
        assert f"{reverse('account_login')}?next={accept_url(invitation)}" in page

    def test_signed_in_as_them_it_offers_accept_and_links_care(
        self, client, therapist, other_therapist, invitation, other_patient
    ):
        client.force_login(other_patient)
        page = client.get(accept_url(invitation)).content.decode()
        assert "Accept invitation" in page
        assert f"signed in as <strong>{other_patient.email}</strong>" in page
        assert "Create your account" not in page

        response = client.post(accept_url(invitation), follow=True)
        # Through the question about sessions kept alone (none here), to their home.
        assert response.redirect_chain[0] == (
            reverse("prep:link_history", args=[therapist.pk]),
            302,
        )
        assert response.redirect_chain[-1] == (reverse("prep:patient_home"), 302)
        assert "Dana Reyes is now your therapist." in response.content.decode()
        active = CareLink.objects.active().filter(patient=other_patient)
        assert sorted(link.therapist_id for link in active) == sorted(
            [therapist.pk, other_therapist.pk]
        )
        invitation.refresh_from_db()
        assert invitation.accepted_by == other_patient

    def test_another_signed_in_patient_is_told_clearly_and_learns_nothing(
        self, client, invitation, other_patient
    ):
        stranger = UserFactory(first_name="Kit", last_name="Fox")
        client.force_login(stranger)
        for method in ("get", "post"):
            response = getattr(client, method)(accept_url(invitation))
            assert response.status_code == 403
            page = response.content.decode()
            assert "This invitation is for someone else" in page
            assert "different email address than the one you are signed in with" in page
            assert other_patient.email not in page
            assert "Dana Reyes" not in page
        assert not CareLink.objects.filter(patient=stranger).exists()
        invitation.refresh_from_db()
        assert invitation.is_pending


# Who opens an invitation to Alex (other_patient, who has an account), by method.
INVITATION_ALLOWED = {
    "get": {"anonymous": 200, "other_patient": 200},
    "post": {"anonymous": 200, "other_patient": 302},
}


@pytest.mark.parametrize("person", ["anonymous", *sorted(set(PEOPLE) - {"anonymous"})])
@pytest.mark.parametrize("method", ["get", "post"])
def test_access_matrix_for_an_invitation_to_an_existing_account(
    client, people, therapist, person, method
):
    invitation = InvitationFactory(therapist=therapist, email=people["other_patient"].email)
    if people[person]:
        client.force_login(people[person])
    response = getattr(client, method)(accept_url(invitation))
    assert response.status_code == INVITATION_ALLOWED[method].get(person, 403)
    accepted = person == "other_patient" and method == "post"
    invitation.refresh_from_db()
    assert invitation.is_pending is not accepted
    assert (
        CareLink.objects.filter(therapist=therapist).exclude(patient=people["patient"]).exists()
        is accepted
    )
