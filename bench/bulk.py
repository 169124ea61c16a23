"""Bulk loading through PostgreSQL's COPY, row values converted by the models' own
fields, so an encrypted field holds real ciphertext (core/fields.py) and a field
the seed does not name gets the default the model gives it.

Rows are COPYed in chunks by a second thread while the next rows are generated,
so PostgreSQL works on one core while Python works on the other; all of it in the
caller's transaction. Ids are assigned here, so rows can point at each other before
anything reaches the database. Values are named by
the field's attribute name (`patient_id` for a foreign key); a value named for a
field the model does not have is left out, so the seed can fill a column that one
version of the models has and another does not.
"""

import io
import json
import queue
import threading
from datetime import date, datetime, time
from decimal import Decimal

from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone

# COPY's text format: tab-separated, \N for NULL, backslash escapes.
NULL = r"\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


_FORMATS = {
    type(None): lambda value: NULL,
    bool: lambda value: "t" if value else "f",
    int: str,
    Decimal: str,
    datetime: datetime.isoformat,
    date: date.isoformat,
    time: time.isoformat,
}


def _text(value) -> str:
    format_value = _FORMATS.get(type(value))
    if format_value is not None:
        return format_value(value)
    return str(value).translate(_ESCAPES)


def _converter(field: models.Field):
    """How one column's value becomes COPY text. Fields of Django's own kinds are
    formatted directly (fast for millions of rows); any other field (the project's
    encrypted fields) goes through its own get_db_prep_save."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def json_text(value):
            return NULL if value is None else json.dumps(value, cls=encoder).translate(_ESCAPES)

        return json_text
    if type(field).__module__.startswith("django."):
        return _text
    return lambda value: _text(field.get_db_prep_save(value, connection))


class _Copier(threading.Thread):
    """COPYs chunks of rows into their tables, one after another, on the caller's
    database connection (and so in its transaction)."""

    def __init__(self):
        super().__init__(name="bench-copy", daemon=True)
        connection.ensure_connection()
        self.raw = connection.connection  # psycopg2's own, shared with this thread
        self.chunks: queue.Queue = queue.Queue(maxsize=8)
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        with self.raw.cursor() as cursor:
            while (chunk := self.chunks.get()) is not None:
                if self.error is None:  # after a failure, only drain the queue
                    statement, text = chunk
                    try:
                        cursor.copy_expert(statement, io.StringIO(text), 1 << 20)
                    except BaseException as error:
                        self.error = error

    def send(self, statement: str, text: str) -> None:
        if self.error is not None:
            raise self.error
        self.chunks.put((statement, text))

    def finish(self) -> None:
        self.chunks.put(None)
        self.join()
        if self.error is not None:
            raise self.error


class Table:
    CHUNK_ROWS = 20_000

    def __init__(self, model, first_id: int, now: datetime, copier: _Copier):
        self.model = model
        self.next_id = first_id
        self.rows = 0
        self.copier = copier
        self.buffer: list[str] = []
        self.fields = list(model._meta.concrete_fields)
        self.pk_position = self.fields.index(model._meta.pk)
        self.converters = [_converter(field) for field in self.fields]
        # What a column the seed leaves out holds: the model's default, once.
        self.defaults = [
            self._default(field, convert, now)
            for field, convert in zip(self.fields, self.converters, strict=True)
        ]
        # For each set of names a caller gives: which column each fills, and how.
        self.plans: dict[tuple, list] = {}
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in self.fields)
        self.statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"

    @staticmethod
    def _default(field, convert, now) -> str | None:
        if field.primary_key:
            return None
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return _text(now)
        value = field.get_default()
        if value is None and not field.null:
            return None  # must be given on every row (checked in _plan)
        return convert(value)

    def _plan(self, names: tuple) -> list:
        filled = []
        for position, (field, convert) in enumerate(zip(self.fields, self.converters, strict=True)):
            if field.attname in names:
                filled.append((position, field.attname, convert))
            elif not field.primary_key and self.defaults[position] is None:
                raise ValueError(
                    f"{self.model.__name__}.{field.attname} has no default: "
                    "bench/seed.py must give it a value."
                )
        return filled

    def add(self, values: dict) -> int:
        names = tuple(values)
        plan = self.plans.get(names)
        if plan is None:
            plan = self.plans[names] = self._plan(names)
        pk = self.next_id
        self.next_id += 1
        self.rows += 1
        row = self.defaults.copy()
        row[self.pk_position] = str(pk)
        for position, name, convert in plan:
            row[position] = convert(values[name])
        self.buffer.append("\t".join(row))
        if len(self.buffer) >= self.CHUNK_ROWS:
            self.send()
        return pk

    def send(self) -> None:
        if self.buffer:
            self.copier.send(self.statement, "\n".join(self.buffer) + "\n")
            self.buffer = []


class Loader:
    """Rows for many tables, all in by the end of `flush`."""

    def __init__(self):
        self.tables: dict[type, Table] = {}
        self.now = timezone.now()
        self.copier: _Copier | None = None

    def add(self, model, **values) -> int:
        table = self.tables.get(model)
        if table is None:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT COALESCE(MAX(id), 0) + 1 FROM {model._meta.db_table}"  # noqa: S608
                )
                first_id = cursor.fetchone()[0]
            self.copier = self.copier or _Copier()
            table = self.tables[model] = Table(model, first_id, self.now, self.copier)
        return table.add(values)

    def counts(self) -> dict[str, int]:
        return {table.model._meta.label: table.rows for table in self.tables.values()}

    def flush(self) -> None:
        """COPY the rows still buffered, wait for every COPY, then move each id
        sequence past the ids used."""
        if self.copier is None:
            return
        for table in self.tables.values():
            table.send()
        self.copier.finish()
        self.copier = None
        loaded = [table.model for table in self.tables.values()]
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), loaded):
                cursor.execute(statement)
        self.tables.clear()
