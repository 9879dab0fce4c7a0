# The weekly rollup of CurrentRisk moves from UTC weeks to weeks in TIME_ZONE (Monday
# 00:00 local time): each row's weeks are recomputed from the assessments.

from collections import defaultdict
from datetime import timedelta

from django.db import migrations
from django.db.models import DateField, Max
from django.db.models.functions import Cast, TruncWeek
from django.utils import timezone

KEPT_WEEKS = 53


def local_weeks(apps, schema_editor):
    """What indicators.services.risk.risk_recompute gives for the weekly rollup, on the
    historical models, with weeks in the deployment's TIME_ZONE."""
    assessment = apps.get_model("indicators", "RiskAssessment")
    current = apps.get_model("indicators", "CurrentRisk")
    zone = timezone.get_default_timezone()
    weekly = defaultdict(dict)
    for community_id, day, top in (
        assessment.objects.annotate(week=Cast(TruncWeek("assessed_at", tzinfo=zone), DateField()))
        .order_by()
        .values_list("community_id", "week")
        .annotate(top=Max("score"))
    ):
        weekly[community_id][day.isoformat()] = top
    rows = list(current.objects.all())
    for row in rows:
        day = row.assessed_at.astimezone(zone).date()
        horizon = (day - timedelta(days=day.weekday(), weeks=KEPT_WEEKS)).isoformat()
        row.weekly = {week: weekly[row.community_id][week] for week in sorted(weekly[row.community_id]) if week >= horizon}
    current.objects.bulk_update(rows, ["weekly"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("indicators", "0007_precomputed_risk")]

    operations = [migrations.RunPython(local_weeks, migrations.RunPython.noop)]
