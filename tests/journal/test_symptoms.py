import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from journal.models import Symptom, SymptomRating
from tests.factories import SymptomFactory, SymptomRatingFactory


@pytest.fixture
def signed_in(client, patient):
    client.force_login(patient)
    return client


def test_a_patient_adds_a_symptom_to_their_daily_log(signed_in, patient):
    signed_in.post(reverse("journal:symptoms"), {"name": "  Racing   thoughts "})
    [symptom] = Symptom.objects.active().filter(patient=patient).named("racing thoughts")
    assert symptom.name == "Racing thoughts"
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
    assert Symptom.objects.active().named("Nausea").exists()


def test_a_retired_name_can_be_reused_but_not_restored_twice(signed_in, patient):
    old = SymptomFactory(patient=patient, name="Headache")
    signed_in.post(reverse("journal:retire_symptom", args=[old.pk]))
    signed_in.post(reverse("journal:symptoms"), {"name": "Headache"})
    response = signed_in.post(reverse("journal:restore_symptom", args=[old.pk]), follow=True)
    assert "You already track a symptom with that name." in response.content.decode()
    assert Symptom.objects.active().filter(patient=patient).named("Headache").count() == 1


def test_renaming_to_an_existing_name_is_refused(signed_in, patient):
    SymptomFactory(patient=patient, name="Worry")
    other = SymptomFactory(patient=patient, name="Fear")
    response = signed_in.post(
        reverse("journal:rename_symptom", args=[other.pk]), {"name": "Worry"}, follow=True
    )
    assert "already track a symptom with this name" in response.content.decode()
    other.refresh_from_db()
    assert other.name == "Fear"


def raw_symptoms() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, name_key FROM journal_symptom ORDER BY id")
        return list(cursor.fetchall())


def test_the_name_is_stored_encrypted_and_only_its_keyed_hash_is_comparable(signed_in, patient):
    signed_in.post(reverse("journal:symptoms"), {"name": "Dread before work"})
    [(name, key)] = raw_symptoms()
    assert "Dread" not in name
    assert "dread" not in key.casefold()
    assert len(key) == 64
    assert Symptom.objects.get().name == "Dread before work"


def test_the_database_keeps_one_active_symptom_per_name_whatever_the_case_and_spacing(patient):
    SymptomFactory(patient=patient, name="Low mood")
    with pytest.raises(IntegrityError), transaction.atomic():
        SymptomFactory(patient=patient, name="  LOW   Mood ")


def test_a_retired_symptom_and_another_patients_may_share_the_name(patient, other_patient):
    SymptomFactory(patient=patient, name="Worry", retired_at=timezone.now())
    SymptomFactory(patient=patient, name="worry")
    SymptomFactory(patient=other_patient, name="Worry")
    assert Symptom.objects.named("WORRY").count() == 3


def test_renaming_keeps_the_name_key_in_step(signed_in, patient):
    symptom = SymptomFactory(patient=patient, name="Tired")
    signed_in.post(reverse("journal:rename_symptom", args=[symptom.pk]), {"name": "Fatigue"})
    assert list(Symptom.objects.named("fatigue")) == [symptom]
    assert not Symptom.objects.named("Tired").exists()
    symptom.name = "Drained"
    symptom.save(update_fields=["name"])
    assert list(Symptom.objects.named("drained")) == [symptom]


def test_the_list_is_in_name_order_and_the_input_is_one_line(signed_in, patient):
    for name in ["Worry", "Aches", "Nausea"]:
        SymptomFactory(patient=patient, name=name)
    SymptomFactory(patient=patient, name="Zest gone", retired_at=timezone.now())
    SymptomFactory(patient=patient, name="Blur", retired_at=timezone.now())
    page = signed_in.get(reverse("journal:symptoms")).content.decode()
    positions = [page.index(f"Remove “{name}”") for name in ["Aches", "Nausea", "Worry"]]
    assert positions == sorted(positions)
    assert page.index("<span>Blur</span>") < page.index("<span>Zest gone</span>")
    assert '<input type="text" name="name" maxlength="60"' in page
    assert "<textarea" not in page


def test_a_name_longer_than_sixty_characters_is_refused(signed_in, patient):
    response = signed_in.post(reverse("journal:symptoms"), {"name": "x" * 61})
    assert response.status_code == 400
    assert not Symptom.objects.exists()


def test_summaries_and_trends_still_order_symptoms_by_frequency_then_name(patient, therapist):
    """Names are encrypted, so ordering moved to Python: the order people see is the
    one the database gave before (most often present first, then by name)."""
    from datetime import timedelta

    from django.utils import timezone as tz

    from journal import history
    from prep import summaries
    from tests.factories import AppointmentFactory, DailyEntryFactory

    names = ["Worry", "Aches", "Nausea", "Blur"]
    symptoms = {name: SymptomFactory(patient=patient, name=name) for name in names}
    present = {"Worry": 2, "Aches": 2, "Nausea": 3, "Blur": 0}
    for days_ago in range(1, 4):
        entry = DailyEntryFactory(patient=patient, day=patient.today() - timedelta(days=days_ago))
        for name, symptom in symptoms.items():
            severity = 2 if days_ago <= present[name] else 0
            SymptomRatingFactory(entry=entry, symptom=symptom, severity=severity)
    appointment = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=tz.now() + timedelta(days=1)
    )
    built = summaries.build(appointment)["symptoms"]
    assert [row["name"] for row in built] == ["Nausea", "Aches", "Worry"]
    rows = history.trends(patient, 4).symptom_rows
    assert [name for name, _ in rows] == ["Aches", "Blur", "Nausea", "Worry"]


def test_the_daily_log_lists_last_felt_first_then_by_name(signed_in, patient):
    from datetime import timedelta

    from tests.factories import DailyEntryFactory

    felt = DailyEntryFactory(patient=patient, day=patient.today() - timedelta(days=2))
    for name in ["Zeal gone", "Calm", "Aches", "Bloating"]:
        symptom = SymptomFactory(patient=patient, name=name)
        if name in ("Zeal gone", "Aches"):
            SymptomRatingFactory(entry=felt, symptom=symptom, severity=1)
    page = signed_in.get(reverse("journal:entry", args=[patient.today()])).content.decode()
    order = [
        page.index(f'aria-label="{name}"') for name in ["Aches", "Zeal gone", "Bloating", "Calm"]
    ]
    assert order == sorted(order)
