"""Encryption at rest for free text a person writes (thoughts, comments, topics).

Keys come from FIELD_ENCRYPTION_KEYS, independent of SECRET_KEY: a comma-separated
list of Fernet keys where the first encrypts and every key decrypts, so keys can be
rotated (add a new first key, run `manage.py rotate_encryption_keys`, then drop the
old one). A value no key can decrypt raises EncryptionKeyError: the app fails
closed rather than show ciphertext or an empty field.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class EncryptionKeyError(Exception):
    pass


@cache
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64-encoded bytes); "
            "generate one with `python manage.py generate_encryption_key`."
        ) from error


def fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise EncryptionKeyError(
            "Stored text could not be decrypted with any key in FIELD_ENCRYPTION_KEYS. "
            "Was a key removed before `rotate_encryption_keys` ran?"
        ) from None


def rotate(token: str) -> str:
    """The same plaintext, encrypted with the current first key."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise EncryptionKeyError("Stored text could not be decrypted for rotation.") from None
