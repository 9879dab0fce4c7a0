# The daily rollups surges and silence read (indicators.rollups), back-filled from the
# reports and readings already there: what indicators.services.rollups.rollups_rebuild
# computes, on the historical models (a row holds 28 days from a start counted from 1970-01-01).

from collections import defaultdict
from datetime import UTC, date, timedelta

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count, F
from django.db.models.functions import TruncDate

PERIOD_DAYS = 28
EPOCH = date(1970, 1, 1)
CHUNK = 2000


def _rows(counts):
    """(key…, day, n) as {(key…, start): [28 day counts]}."""
    rows = defaultdict(lambda: [0] * PERIOD_DAYS)
    for *key, day, n in counts:
        offset = (day - EPOCH).days % PERIOD_DAYS
        rows[(*key, day - timedelta(days=offset))][offset] += n
    return rows


def backfill(apps, schema_editor):
    reading = apps.get_model("indicators", "Reading")
    report = apps.get_model("indicators", "FieldReport")
    reading_rollup = apps.get_model("indicators", "ReadingRollup")
    report_rollup = apps.get_model("indicators", "ReportRollup")
    columns = [f"d{k}" for k in range(PERIOD_DAYS)]
    counted = (
        reading.objects.filter(indicator__polarity="risk", value__gt=F("indicator__scale_min"))
        .exclude(report__verification="disputed")
        .order_by()
        .values_list("report__community_id", "indicator__theme_id", TruncDate("report__observed_at", tzinfo=UTC))
        .annotate(n=Count("id"))
    )
    reading_rollup.objects.bulk_create(
        (
            reading_rollup(community_id=c, theme_id=t, start=start, **dict(zip(columns, days)))
            for (c, t, start), days in _rows(counted.iterator()).items()
        ),
        batch_size=CHUNK,
    )
    reports = (
        report.objects.order_by()
        .values_list("community_id", TruncDate("observed_at", tzinfo=UTC))
        .annotate(n=Count("id"))
    )
    report_rollup.objects.bulk_create(
        (
            report_rollup(community_id=c, start=start, **dict(zip(columns, days)))
            for (c, start), days in _rows(reports.iterator()).items()
        ),
        batch_size=CHUNK,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('ewers', '0008_user_language'),
        ('indicators', '0009_scoring_state'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ReadingRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('start', models.DateField()),
                ('d0', models.IntegerField(default=0)),
                ('d1', models.IntegerField(default=0)),
                ('d2', models.IntegerField(default=0)),
                ('d3', models.IntegerField(default=0)),
                ('d4', models.IntegerField(default=0)),
                ('d5', models.IntegerField(default=0)),
                ('d6', models.IntegerField(default=0)),
                ('d7', models.IntegerField(default=0)),
                ('d8', models.IntegerField(default=0)),
                ('d9', models.IntegerField(default=0)),
                ('d10', models.IntegerField(default=0)),
                ('d11', models.IntegerField(default=0)),
                ('d12', models.IntegerField(default=0)),
                ('d13', models.IntegerField(default=0)),
                ('d14', models.IntegerField(default=0)),
                ('d15', models.IntegerField(default=0)),
                ('d16', models.IntegerField(default=0)),
                ('d17', models.IntegerField(default=0)),
                ('d18', models.IntegerField(default=0)),
                ('d19', models.IntegerField(default=0)),
                ('d20', models.IntegerField(default=0)),
                ('d21', models.IntegerField(default=0)),
                ('d22', models.IntegerField(default=0)),
                ('d23', models.IntegerField(default=0)),
                ('d24', models.IntegerField(default=0)),
                ('d25', models.IntegerField(default=0)),
                ('d26', models.IntegerField(default=0)),
                ('d27', models.IntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='ReportRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('start', models.DateField()),
                ('d0', models.IntegerField(default=0)),
                ('d1', models.IntegerField(default=0)),
                ('d2', models.IntegerField(default=0)),
                ('d3', models.IntegerField(default=0)),
                ('d4', models.IntegerField(default=0)),
                ('d5', models.IntegerField(default=0)),
                ('d6', models.IntegerField(default=0)),
                ('d7', models.IntegerField(default=0)),
                ('d8', models.IntegerField(default=0)),
                ('d9', models.IntegerField(default=0)),
                ('d10', models.IntegerField(default=0)),
                ('d11', models.IntegerField(default=0)),
                ('d12', models.IntegerField(default=0)),
                ('d13', models.IntegerField(default=0)),
                ('d14', models.IntegerField(default=0)),
                ('d15', models.IntegerField(default=0)),
                ('d16', models.IntegerField(default=0)),
                ('d17', models.IntegerField(default=0)),
                ('d18', models.IntegerField(default=0)),
                ('d19', models.IntegerField(default=0)),
                ('d20', models.IntegerField(default=0)),
                ('d21', models.IntegerField(default=0)),
                ('d22', models.IntegerField(default=0)),
                ('d23', models.IntegerField(default=0)),
                ('d24', models.IntegerField(default=0)),
                ('d25', models.IntegerField(default=0)),
                ('d26', models.IntegerField(default=0)),
                ('d27', models.IntegerField(default=0)),
            ],
        ),
        migrations.AddIndex(
            model_name='fieldreport',
            index=models.Index(fields=['observed_at'], name='report_observed_idx'),
        ),
        migrations.AddField(
            model_name='readingrollup',
            name='community',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='ewers.region'),
        ),
        migrations.AddField(
            model_name='readingrollup',
            name='theme',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='ewers.theme'),
        ),
        migrations.AddField(
            model_name='reportrollup',
            name='community',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='ewers.region'),
        ),
        migrations.AddIndex(
            model_name='readingrollup',
            index=models.Index(fields=['start', 'community'], name='reading_rollup_start_idx'),
        ),
        migrations.AddConstraint(
            model_name='readingrollup',
            constraint=models.UniqueConstraint(fields=('community', 'theme', 'start'), name='reading_rollup_unique'),
        ),
        migrations.AddIndex(
            model_name='reportrollup',
            index=models.Index(fields=['start', 'community'], name='report_rollup_start_idx'),
        ),
        migrations.AddConstraint(
            model_name='reportrollup',
            constraint=models.UniqueConstraint(fields=('community', 'start'), name='report_rollup_unique'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
