# Each report's readings as one number (indicators.services.reports_write.readings_digest),
# which the possible duplicates are found by, back-filled for the reports already there.

import hashlib

from django.db import migrations, models

BATCH = 1000


def readings_digest(readings):
    """The writers' digest as it was when this migration was written
    (tests/indicators/services/test_duplicates.py checks that they agree)."""
    text = ";".join(f"{indicator_id}:{float(value) + 0.0!r}" for indicator_id, value in sorted(readings))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


def backfill(apps, schema_editor):
    report = apps.get_model("indicators", "FieldReport")
    reading = apps.get_model("indicators", "Reading")
    readings = {}
    for report_id, indicator_id, value in reading.objects.order_by().values_list("report_id", "indicator_id", "value"):
        readings.setdefault(report_id, []).append((indicator_id, value))
    digested = [report(pk=pk, readings_digest=readings_digest(pairs)) for pk, pairs in readings.items()]
    report.objects.bulk_update(digested, ["readings_digest"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0013_unchecked_derived_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="fieldreport",
            name="readings_digest",
            field=models.BigIntegerField(blank=True, editable=False, null=True, verbose_name="readings digest"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
