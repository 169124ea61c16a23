"""Free text is encrypted at rest with keys separate from SECRET_KEY; keys rotate."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from core import crypto
from core.crypto import EncryptionKeyError
from journal.models import DailyEntry, ParkedTopic
from tests.factories import DailyEntryFactory

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY id")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def test_the_raw_columns_hold_no_plaintext(patient):
    DailyEntryFactory(patient=patient, thoughts="I felt invisible at dinner")
    ParkedTopic.objects.create(patient=patient, title="My brother")
    assert "invisible" not in raw("journal_dailyentry", "thoughts")[0]
    assert "brother" not in raw("journal_parkedtopic", "title")[0]


def test_keys_are_independent_of_the_secret_key(patient, settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    DailyEntryFactory(patient=patient, thoughts="kept safe")
    settings.SECRET_KEY = "an entirely different secret key for this deployment"
    assert DailyEntry.objects.get().thoughts == "kept safe"


def test_rotation_reencrypts_old_rows_with_the_new_first_key(patient, settings):
    """GIVEN rows written with an old key
    WHEN a new first key is added and the rotation command runs
    THEN the old key can be dropped and every row still reads."""
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    DailyEntryFactory(patient=patient, thoughts="written under the old key")
    ParkedTopic.objects.create(patient=patient, title="an old topic")

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert DailyEntry.objects.get().thoughts == "written under the old key"
    out = StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "journal.DailyEntry.thoughts: 1 re-encrypted" in out.getvalue()

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert DailyEntry.objects.get().thoughts == "written under the old key"
    assert ParkedTopic.objects.get().title == "an old topic"
    Fernet(NEW_KEY.encode()).decrypt(raw("journal_dailyentry", "thoughts")[0].encode())


def test_a_wrong_key_fails_closed_with_a_clear_error(patient, settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    DailyEntryFactory(patient=patient, thoughts="not for the wrong key")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(EncryptionKeyError, match="could not be decrypted"):
        DailyEntry.objects.get()


def test_a_malformed_key_is_a_configuration_error(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured, match="Fernet keys"):
        crypto.encrypt("anything")


def test_empty_text_stays_empty(patient):
    DailyEntryFactory(patient=patient, thoughts="")
    assert raw("journal_dailyentry", "thoughts") == [""]


def test_authenticator_secrets_are_encrypted_too(therapist):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(therapist, secret)
    stored = raw("mfa_authenticator", "data")[0]
    assert secret not in stored


def test_rotation_keeps_two_factor_sign_in_working(client, therapist, settings):
    """GIVEN a therapist with an authenticator app and recovery codes, set up under
    the old key, WHEN the keys rotate and the old key is dropped, THEN they still
    sign in with a code, and a recovery code still works."""

    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.urls import reverse

    from tests.factories import PASSWORD, current_totp_code

    settings.REQUIRE_STAFF_MFA = True
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    secret = generate_totp_secret()
    TOTP.activate(therapist, secret)
    codes = RecoveryCodes.activate(therapist).get_unused_codes()

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    out = StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "mfa.Authenticator: 2 re-encrypted" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]

    client.post(reverse("account_login"), {"login": therapist.email, "password": PASSWORD})
    code = current_totp_code(secret)
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert client.get(reverse("accounts:patient_list")).status_code == 200

    client.logout()
    client.post(reverse("account_login"), {"login": therapist.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert client.get(reverse("accounts:patient_list")).status_code == 200


def test_an_invitations_first_name_is_stored_encrypted(therapist):
    from tests.factories import InvitationFactory

    InvitationFactory(therapist=therapist, first_name="Marigold")
    [stored] = raw("accounts_invitation", "first_name")
    assert "Marigold" not in stored
    assert crypto.decrypt(stored) == "Marigold"


def test_rotation_recomputes_symptom_name_keys_and_duplicates_stay_refused(
    client, patient, settings
):
    """GIVEN a symptom whose name and name_key were written under the old key
    WHEN a new first key is added: a duplicate is still refused before and after the
    rotation command runs, and once the old key is dropped."""
    from journal.models import Symptom

    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    Symptom.objects.create(patient=patient, name="Racing thoughts")
    before = raw("journal_symptom", "name_key")

    client.force_login(patient)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    refused = client.post("/journal/symptoms/", {"name": "racing thoughts"})
    assert refused.status_code == 400
    out = StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "journal.Symptom.name_key: 1 recomputed" in out.getvalue()
    assert raw("journal_symptom", "name_key") != before

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert client.post("/journal/symptoms/", {"name": "RACING thoughts"}).status_code == 400
    assert Symptom.objects.named("racing thoughts").get().name == "Racing thoughts"


def test_the_name_key_is_not_a_plain_hash_of_the_name(patient):
    import hashlib

    from journal.models import Symptom

    Symptom.objects.create(patient=patient, name="Worry")
    [key] = raw("journal_symptom", "name_key")
    assert key not in {hashlib.sha256(b"worry").hexdigest(), hashlib.sha256(b"Worry").hexdigest()}
