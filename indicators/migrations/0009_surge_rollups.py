# The daily rollups surges and silence read (indicators.rollups), back-filled from the
# reports and readings already there: what indicators.services.rollups.rollups_rebuild
# computes, on the historical models.

from datetime import UTC

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, F
from django.db.models.functions import TruncDate

CHUNK = 2000


def backfill(apps, schema_editor):
    reading = apps.get_model("indicators", "Reading")
    report = apps.get_model("indicators", "FieldReport")
    reading_day = apps.get_model("indicators", "ReadingDay")
    report_day = apps.get_model("indicators", "ReportDay")
    counted = (
        reading.objects.filter(indicator__polarity="risk", value__gt=F("indicator__scale_min"))
        .exclude(report__verification="disputed")
        .order_by()
        .values_list("report__community_id", "indicator__theme_id", TruncDate("report__observed_at", tzinfo=UTC))
        .annotate(n=Count("id"))
    )
    reading_day.objects.bulk_create(
        (reading_day(community_id=c, theme_id=t, day=d, readings=n) for c, t, d, n in counted.iterator()),
        batch_size=CHUNK,
    )
    reports = (
        report.objects.order_by()
        .values_list("community_id", TruncDate("observed_at", tzinfo=UTC))
        .annotate(n=Count("id"))
    )
    report_day.objects.bulk_create(
        (report_day(community_id=c, day=d, reports=n) for c, d, n in reports.iterator()), batch_size=CHUNK
    )


class Migration(migrations.Migration):
    dependencies = [
        ("ewers", "0008_user_language"),
        ("indicators", "0008_local_weeks"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReadingDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("readings", models.IntegerField(default=0)),
                (
                    "community",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="ewers.region",
                    ),
                ),
                (
                    "theme",
                    models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="ewers.theme"),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["day", "community"], name="reading_day_day_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("community", "theme", "day"), name="reading_day_unique")
                ],
            },
        ),
        migrations.CreateModel(
            name="ReportDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("reports", models.IntegerField(default=0)),
                (
                    "community",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="ewers.region",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["day", "community"], name="report_day_day_idx")],
                "constraints": [models.UniqueConstraint(fields=("community", "day"), name="report_day_unique")],
            },
        ),
        migrations.AddIndex(
            model_name="fieldreport",
            index=models.Index(fields=["observed_at"], name="report_observed_idx"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
