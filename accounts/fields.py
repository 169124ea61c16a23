from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token (accounts/crypto.py). The database never sees
    the plaintext, so it cannot be searched or ordered by; empty stays empty."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value)


def encrypted_fields():
    """Every (model, field name) pair stored encrypted, for key rotation."""
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field.name
