# Each report's readings as one number (indicators.services.reports_write.readings_digest),
# which the possible duplicates are found by, back-filled for the reports already there.

import hashlib
import itertools
import operator

from django.db import migrations, models

BATCH = 1000


def readings_digest(readings):
    """The writers' digest as it was when this migration was written
    (tests/indicators/services/test_duplicates.py checks that they agree)."""
    text = ";".join(f"{indicator_id}:{float(value) + 0.0!r}" for indicator_id, value in sorted(readings))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


def backfill(apps, schema_editor):
    """The readings read in the reports' order, a chunk at a time, and the digests written
    BATCH reports at a time: a large table is never held in memory whole."""
    report = apps.get_model("indicators", "FieldReport")
    reading = apps.get_model("indicators", "Reading")
    rows = (
        reading.objects.order_by("report_id")
        .values_list("report_id", "indicator_id", "value")
        .iterator(chunk_size=BATCH * 5)
    )
    digested = []
    for report_id, group in itertools.groupby(rows, key=operator.itemgetter(0)):
        digested.append(report(pk=report_id, readings_digest=readings_digest((i, v) for _r, i, v in group)))
        if len(digested) == BATCH:
            report.objects.bulk_update(digested, ["readings_digest"])
            digested = []
    report.objects.bulk_update(digested, ["readings_digest"])


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
