"""Every read on the record: who opened which patient's data, what kind, and when.

`record` is the one way a row is written. Views call it after they have decided
the viewer may see the page (so a 404 records nothing), on GET as on POST: it is
the one write a read makes. The log holds no data, only the kind of thing opened
and its id; rows are never changed or deleted through the app (the model refuses),
except that erasing a patient's account unlinks the rows about them
(`AccessRecord.objects.forget_patient`)."""

from collections.abc import Iterable

from django.db import connection

from .models import AccessRecord

Kind = AccessRecord.Kind


def record(viewer, patient, kind: str, object_id=None) -> AccessRecord:
    """`viewer` opened `kind` of `patient`'s data (the object `object_id`, if any)."""
    return AccessRecord.objects.create(
        viewer=viewer if viewer is not None and viewer.is_authenticated else None,
        patient=patient,
        kind=kind,
        object_id="" if object_id is None else str(object_id),
    )


def record_many(viewer, kind: str, items: Iterable[tuple]) -> None:
    """One row per (patient, object id) shown on one page, in one query.

    Written as one INSERT of the rows bulk_create would write: bulk_create wraps even
    a single statement in a transaction of its own, two more statements on every
    page that lists patients, and one INSERT is all or nothing by itself."""
    rows = [
        AccessRecord(viewer=viewer, patient=patient, kind=kind, object_id=str(object_id))
        for patient, object_id in items
    ]
    if not rows:
        return
    fields = [field for field in AccessRecord._meta.concrete_fields if not field.primary_key]
    with connection.cursor() as cursor:
        # Only the model's own table and column names are put in the text; every
        # value is a parameter.
        cursor.execute(
            "INSERT INTO {} ({}) VALUES {}".format(  # noqa: S608
                connection.ops.quote_name(AccessRecord._meta.db_table),
                ", ".join(connection.ops.quote_name(field.column) for field in fields),
                ", ".join(["({})".format(", ".join(["%s"] * len(fields)))] * len(rows)),
            ),
            [
                field.get_db_prep_save(getattr(row, field.attname), connection)
                for row in rows
                for field in fields
            ],
        )


def record_erasure() -> None:
    """An account was erased: the fact and the time, nothing of whose."""
    AccessRecord.objects.create(kind=Kind.ERASURE, patient_erased=True)


def for_patient(patient):
    """What the patient sees: every opening of their data, newest first."""
    return AccessRecord.objects.filter(patient=patient).select_related("viewer")


class RecordsAdminReads:
    """A ModelAdmin mixin: opening the change page of a row that belongs to a
    patient records an "admin record" read of that patient's data. `audit_patient`
    is the path from the row to its patient ("" when the row is the person)."""

    audit_patient = "patient"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            self._record_read(request, object_id)
        return response

    def _record_read(self, request, object_id) -> None:
        from django.contrib.admin.utils import unquote

        from .models import User

        pk = unquote(object_id)
        path = self.audit_patient or "pk"
        role = f"{self.audit_patient}__role" if self.audit_patient else "role"
        found = self.model._base_manager.filter(pk=pk).values_list(path, role).first()
        if found is None or found[0] is None or found[1] != User.Role.PATIENT:
            return
        opts = self.model._meta
        AccessRecord.objects.create(
            viewer=request.user,
            patient_id=found[0],
            kind=Kind.ADMIN,
            object_id=f"{opts.app_label}.{opts.model_name}:{pk}"[:120],
        )


# What people see ------------------------------------------------------------------


def _when(moment, zone) -> str:
    from django.utils import dateformat, timezone

    local = timezone.localtime(moment, zone)
    today = timezone.localdate(timezone=zone)
    day = dateformat.format(local, "l j F" if local.year == today.year else "l j F Y")
    return f"{day} at {local:%H:%M}"


def sentence_for_patient(entry: AccessRecord, patient) -> str:
    """One line of the patient's page, in their time zone: "Dana Reyes opened your
    shared summary on Tuesday 3 March at 10:02"."""
    when = _when(entry.at, patient.zone)
    if entry.kind == Kind.EXPORT and entry.viewer_id == patient.pk:
        return f"You downloaded a copy of your data on {when}"
    who = entry.viewer.display_name if entry.viewer else "Someone who no longer has an account"
    return f"{who} opened your {entry.get_kind_display()} on {when}"


def who_read(entry: AccessRecord) -> str:
    """Whose data, for the practice manager's page."""
    if entry.patient_erased:
        return "Former patient (account deleted)"
    return entry.patient.display_name if entry.patient else "—"
