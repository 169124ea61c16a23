"""A patient's settings say plainly, when their therapist isn't on the app, that
nobody here sees their phone number or their week at a glance."""

from django.urls import reverse

from tests.factories import UserFactory

NOBODY = "Your therapist isn’t on Between Sessions, so nobody here sees"


def test_settings_promise_no_therapist_to_a_solo_patient(client, db):
    solo = UserFactory(first_name="Robin")
    client.force_login(solo)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert f"{NOBODY} it now." in page
    assert "Only your therapist sees it, so they can reach you" not in page
    # Still nothing chosen for them.
    assert 'value="True" checked' not in page and 'value="False" checked' not in page


def test_settings_keep_their_words_for_a_patient_with_a_therapist(client, patient):
    client.force_login(patient)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Only your therapist sees it, so they can reach you" in page
    assert NOBODY not in page
