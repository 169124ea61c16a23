from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from core import crypto
from core.fields import encrypted_fields, keyed_hash_fields


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column, and the two-factor secrets allauth stores "
        "through our MFA adapter, with the first key in FIELD_ENCRYPTION_KEYS, and "
        "recompute the keyed hashes derived from it. "
        "Run after adding a new first key; then older keys can be removed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        for model, name in encrypted_fields():
            count = self.rotate(model, name, batch_size)
            self.stdout.write(f"{model._meta.label}.{name}: {count} re-encrypted")
        count = self.rotate_authenticators()
        self.stdout.write(f"mfa.Authenticator: {count} re-encrypted")
        for model, field in keyed_hash_fields():
            count = self.rehash(model, field, batch_size)
            self.stdout.write(f"{model._meta.label}.{field.name}: {count} recomputed")

    def rehash(self, model, field, batch_size: int) -> int:
        """Keyed hashes (e.g. a symptom's name_key) follow the first key too. Until this
        has run, lookups also try the older keys' hashes (crypto.keyed_hashes)."""
        source = model._meta.get_field(field.source)
        table, pk_column = model._meta.db_table, model._meta.pk.column
        quote = connection.ops.quote_name
        count = 0
        last_pk = 0
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {quote(pk_column)}, {quote(source.column)}, {quote(field.column)} "  # noqa: S608
                    f"FROM {quote(table)} WHERE {quote(pk_column)} > %s "
                    f"ORDER BY {quote(pk_column)} LIMIT %s",
                    [last_pk, batch_size],
                )
                rows = cursor.fetchall()
                if not rows:
                    return count
                for pk, stored, old_hash in rows:
                    text = (
                        source.from_db_value(stored, None, connection)
                        if hasattr(source, "from_db_value")
                        else stored
                    )
                    new_hash = field.hash_of(text)
                    if new_hash != old_hash:
                        cursor.execute(
                            f"UPDATE {quote(table)} SET {quote(field.column)} = %s "  # noqa: S608
                            f"WHERE {quote(pk_column)} = %s",
                            [new_hash, pk],
                        )
                        count += 1
                last_pk = rows[-1][0]

    @transaction.atomic
    def rotate_authenticators(self) -> int:
        """allauth keeps encrypted values inside a JSON document: the TOTP secret,
        the recovery codes' seed, and codes carried over from older versions."""
        count = 0
        for authenticator in Authenticator.objects.select_for_update():
            data = dict(authenticator.data)
            for key in ("secret", "seed"):
                if data.get(key):
                    data[key] = crypto.rotate(data[key])
            if data.get("migrated_codes"):
                data["migrated_codes"] = [crypto.rotate(code) for code in data["migrated_codes"]]
            if data != authenticator.data:
                authenticator.data = data
                authenticator.save(update_fields=["data"])
                count += 1
        return count

    def rotate(self, model, name: str, batch_size: int) -> int:
        # Raw SQL: the tokens are rotated without ever holding the plaintext in a model.
        table, column = model._meta.db_table, model._meta.get_field(name).column
        pk_column = model._meta.pk.column
        count = 0
        last_pk = None
        quote = connection.ops.quote_name
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                where = f"WHERE {quote(column)} <> ''"
                params: list = []
                if last_pk is not None:
                    where += f" AND {quote(pk_column)} > %s"
                    params.append(last_pk)
                cursor.execute(
                    f"SELECT {quote(pk_column)}, {quote(column)} FROM {quote(table)} "  # noqa: S608
                    f"{where} ORDER BY {quote(pk_column)} LIMIT %s",
                    [*params, batch_size],
                )
                rows = cursor.fetchall()
                if not rows:
                    return count
                for pk, token in rows:
                    cursor.execute(
                        f"UPDATE {quote(table)} SET {quote(column)} = %s "  # noqa: S608
                        f"WHERE {quote(pk_column)} = %s",
                        [crypto.rotate(token), pk],
                    )
                count += len(rows)
                last_pk = rows[-1][0]
