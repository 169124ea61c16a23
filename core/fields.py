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


def match_text(text: str) -> str:
    """What two values must share to count as the same: case and spacing ignored."""
    return " ".join((text or "").split()).casefold()


class KeyedHashField(models.CharField):
    """A keyed hash (core/crypto.py) of another field of the same row, usually an
    encrypted one, ignoring case and spacing. It is set on every save, bulk_create
    included, so the database can keep values unique and find a row by value
    without ever holding the plaintext. A save(update_fields=[...]) naming the source
    field must name this one too, and queryset.update() of the source is not followed;
    `rotate_encryption_keys` recomputes it with the new first key."""

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def hash_of(self, text: str) -> str:
        return crypto.keyed_hash(match_text(text))

    def lookup_values(self, text: str) -> list[str]:
        """Every hash text may be stored under (one per key, during a rotation)."""
        return crypto.keyed_hashes(match_text(text))

    def pre_save(self, model_instance, add):
        value = self.hash_of(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def keyed_hash_fields():
    """Every (model, KeyedHashField) pair, for key rotation."""
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, KeyedHashField):
                yield model, field


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


def encrypt_existing(app_label: str, model_name: str, field_name: str):
    """A migration step for a column that becomes encrypted: values already stored
    as plain text are encrypted in place (tokens already encrypted are left)."""
    from cryptography.fernet import InvalidToken

    def forwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        table = model._meta.db_table
        column = model._meta.get_field(field_name).column
        quote = schema_editor.connection.ops.quote_name
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, {quote(column)} FROM {quote(table)} "  # noqa: S608
                f"WHERE {quote(column)} <> ''"
            )
            for pk, value in cursor.fetchall():
                try:
                    crypto.fernet().decrypt(value.encode())
                    continue
                except InvalidToken:
                    pass
                cursor.execute(
                    f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE id = %s",  # noqa: S608
                    [crypto.encrypt(value), pk],
                )

    return forwards
