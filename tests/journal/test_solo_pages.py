"""Pages that would involve a therapist say plainly, for a patient whose therapist
isn't on the app, that nobody here sees what they hold."""

from django.urls import reverse

from tests.factories import UserFactory

NOBODY = "Your therapist isn’t on Between Sessions, so nobody here sees"


def test_parked_topics_say_they_stay_with_a_solo_patient(client, db):
    solo = UserFactory(first_name="Robin")
    client.force_login(solo)
    page = client.get(reverse("journal:parked_topics")).content.decode()
    assert f"{NOBODY} these topics or their titles" in page
    assert "Your therapist can learn that such topics exist" not in page


def test_parked_topics_keep_their_words_for_a_patient_with_a_therapist(client, patient):
    client.force_login(patient)
    page = client.get(reverse("journal:parked_topics")).content.decode()
    assert "Your therapist can learn that such topics exist" in page
    assert NOBODY not in page
