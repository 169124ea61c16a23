import pytest
from django.urls import reverse

from journal.models import Symptom, SymptomRating
from tests.factories import SymptomFactory, SymptomRatingFactory


@pytest.fixture
def signed_in(client, patient):
    client.force_login(patient)
    return client


def test_a_patient_adds_a_symptom_to_their_daily_log(signed_in, patient):
    signed_in.post(reverse("journal:symptoms"), {"name": "  Racing   thoughts "})
    assert Symptom.objects.active().filter(patient=patient, name="Racing thoughts").exists()
    page = signed_in.get(reverse("journal:entry", args=[patient.today()])).content.decode()
    assert "Racing thoughts" in page


def test_a_duplicate_name_is_refused_with_a_message(signed_in, patient):
    SymptomFactory(patient=patient, name="Worry")
    response = signed_in.post(reverse("journal:symptoms"), {"name": "worry"})
    assert response.status_code == 400
    assert "already track a symptom with this name" in response.content.decode()


def test_an_empty_name_is_refused(signed_in):
    response = signed_in.post(reverse("journal:symptoms"), {"name": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_renaming_keeps_the_history(signed_in, patient):
    rating = SymptomRatingFactory(symptom__name="Tired", entry__patient=patient)
    signed_in.post(reverse("journal:rename_symptom", args=[rating.symptom.pk]), {"name": "Fatigue"})
    rating.refresh_from_db()
    assert rating.symptom.name == "Fatigue"


def test_retiring_removes_from_the_log_but_keeps_ratings(signed_in, patient):
    rating = SymptomRatingFactory(symptom__name="Nausea", entry__patient=patient)
    signed_in.post(reverse("journal:retire_symptom", args=[rating.symptom.pk]))
    page = signed_in.get(reverse("journal:entry", args=[patient.today()])).content.decode()
    assert 'aria-label="Nausea"' not in page
    assert SymptomRating.objects.filter(pk=rating.pk).exists()
    signed_in.post(reverse("journal:restore_symptom", args=[rating.symptom.pk]))
    assert Symptom.objects.active().filter(name="Nausea").exists()


def test_a_retired_name_can_be_reused_but_not_restored_twice(signed_in, patient):
    old = SymptomFactory(patient=patient, name="Headache")
    signed_in.post(reverse("journal:retire_symptom", args=[old.pk]))
    signed_in.post(reverse("journal:symptoms"), {"name": "Headache"})
    response = signed_in.post(reverse("journal:restore_symptom", args=[old.pk]), follow=True)
    assert "You already track a symptom with that name." in response.content.decode()
    assert Symptom.objects.active().filter(patient=patient, name="Headache").count() == 1


def test_renaming_to_an_existing_name_is_refused(signed_in, patient):
    SymptomFactory(patient=patient, name="Worry")
    other = SymptomFactory(patient=patient, name="Fear")
    response = signed_in.post(
        reverse("journal:rename_symptom", args=[other.pk]), {"name": "Worry"}, follow=True
    )
    assert "already track a symptom with this name" in response.content.decode()
    other.refresh_from_db()
    assert other.name == "Fear"
