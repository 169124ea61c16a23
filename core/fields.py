import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token (core/crypto.py). The database never sees
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


class EncryptedJSONField(EncryptedTextField):
    """A JSON document stored encrypted (summary snapshots hold health data)."""

    def from_db_value(self, value, expression, connection):
        text = super().from_db_value(value, expression, connection)
        return json.loads(text) if text else None

    def to_python(self, value):
        if isinstance(value, str) and value:
            return json.loads(value)
        return value

    def get_prep_value(self, value):
        if value is None:
            return ""
        return crypto.encrypt(json.dumps(value, cls=DjangoJSONEncoder))

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), cls=DjangoJSONEncoder)
