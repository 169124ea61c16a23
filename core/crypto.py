"""Encryption at rest for free text a person writes (thoughts, comments, topics).

Keys come from FIELD_ENCRYPTION_KEYS, independent of SECRET_KEY: a comma-separated
list of Fernet keys where the first encrypts and every key decrypts, so keys can be
rotated (add a new first key, run `manage.py rotate_encryption_keys`, then drop the
old one). A value no key can decrypt raises EncryptionKeyError: the app fails
closed rather than show ciphertext or an empty field.
"""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Keyed hashes (below) use a key derived from each encryption key, never the key
# itself, so the two uses cannot be confused.
HASH_KEY_INFO = b"between-sessions keyed hash v1"


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


@cache
def _hash_keys_for(keys: tuple[str, ...]) -> tuple[bytes, ...]:
    _fernet_for(keys)  # the same clear error for a missing or malformed key
    return tuple(
        HKDF(algorithm=SHA256(), length=32, salt=None, info=HASH_KEY_INFO).derive(
            base64.urlsafe_b64decode(key.encode())
        )
        for key in keys
    )


def _hash_keys() -> tuple[bytes, ...]:
    return _hash_keys_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def keyed_hash(text: str) -> str:
    """HMAC-SHA256 of text with a key derived from the first encryption key: equal
    text gives an equal hash, so a column of these can be unique or looked up,
    while the database (or a copy of it) cannot test guesses without the key."""
    return hmac.new(_hash_keys()[0], text.encode(), hashlib.sha256).hexdigest()


def keyed_hashes(text: str) -> list[str]:
    """The hash under every key, first key first: a lookup still finds a row written
    before a new first key was added and `rotate_encryption_keys` ran."""
    return [hmac.new(key, text.encode(), hashlib.sha256).hexdigest() for key in _hash_keys()]


def rotate(token: str) -> str:
    """The same plaintext, encrypted with the current first key."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise EncryptionKeyError("Stored text could not be decrypted for rotation.") from None
