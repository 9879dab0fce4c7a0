# Scoring claims that own their reports: the scorer (its task's id) and since when
# (indicators.services.scoring_claims). Nullable columns: no rewrite of the table.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('indicators', '0010_surge_rollups'),
    ]

    operations = [
        migrations.AddField(
            model_name='fieldreport',
            name='scoring_claim',
            field=models.CharField(blank=True, editable=False, max_length=64, null=True, verbose_name='claimed by scorer'),
        ),
        migrations.AddField(
            model_name='fieldreport',
            name='scoring_claimed_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='claimed for scoring at'),
        ),
    ]
