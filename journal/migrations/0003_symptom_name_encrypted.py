"""A symptom's name (the patient's own words) is stored encrypted. The database can
no longer compare names, so "one active symptom of each name" is kept by name_key,
a keyed hash of the name with case and spacing ignored (core/crypto.py), computed
here for the symptoms already stored. The constraint on it is added by the next
migration: PostgreSQL builds no index in a transaction that has just updated rows."""

from django.db import migrations
from django.utils import timezone

import core.fields


def compute_name_keys(apps, schema_editor):
    Symptom = apps.get_model("journal", "Symptom")
    field = Symptom._meta.get_field("name_key")
    taken = set()
    symptoms = list(Symptom.objects.order_by("patient_id", "created_at", "pk"))
    for symptom in symptoms:
        symptom.name_key = field.hash_of(symptom.name)
        if symptom.retired_at is None:
            # The old rule ignored case only; this one also ignores spacing, so two
            # active names could now count as one. The older stays on the daily log;
            # the newer moves to "Removed earlier" with every rating kept.
            if (symptom.patient_id, symptom.name_key) in taken:
                symptom.retired_at = timezone.now()
            taken.add((symptom.patient_id, symptom.name_key))
    Symptom.objects.bulk_update(symptoms, ["name_key", "retired_at"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("journal", "0002_unanswered_scales_are_null"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="symptom",
            name="journal_symptom_unique_active_name",
        ),
        migrations.AlterModelOptions(
            name="symptom",
            options={"ordering": ["created_at", "pk"]},
        ),
        migrations.AlterField(
            model_name="symptom",
            name="name",
            field=core.fields.EncryptedTextField(max_length=60),
        ),
        migrations.AddField(
            model_name="symptom",
            name="name_key",
            field=core.fields.KeyedHashField(default="", source="name"),
            preserve_default=False,
        ),
        migrations.RunPython(
            core.fields.encrypt_existing("journal", "Symptom", "name"),
            migrations.RunPython.noop,
        ),
        migrations.RunPython(compute_name_keys, migrations.RunPython.noop),
    ]
