"""Constraints of indicators, field reports and assessments that must always hold, checked at
the database, whatever writes the row."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import ProtectedError

from indicators.models import Contribution, FieldReport, Indicator, Reading, RiskAssessment
from indicators.services import indicator_update_settings
from tests import factories
from tests.conftest import raises_integrity

pytestmark = pytest.mark.django_db


class TestIndicators:
    def test_the_database_refuses_thresholds_out_of_order_or_scale(self, cast):
        for values in ({"threshold_high": 1}, {"threshold_critical": 9}, {"threshold_moderate": -1}):
            with raises_integrity(), transaction.atomic():
                Indicator.objects.filter(pk=cast.indicator.pk).update(**values)

    def test_the_database_refuses_a_zero_weight_or_half_life(self, cast):
        for values in ({"weight": 0}, {"half_life_days": 0}, {"scale_max": 0}):
            with raises_integrity(), transaction.atomic():
                Indicator.objects.filter(pk=cast.indicator.pk).update(**values)

    def test_a_settings_change_records_a_new_version(self, cast):
        indicator = indicator_update_settings(
            indicator=cast.indicator, changed_by=cast.coordinator, reason="calibration", weight=2.5
        )
        assert indicator.version == 2
        versions = list(indicator.versions.order_by("version").values_list("version", "weight", "reason"))
        assert versions == [(1, 1.0, "created"), (2, 2.5, "calibration")]
        assert indicator.versions.get(version=2).changed_by == cast.coordinator

    def test_an_unchanged_save_records_no_version(self, cast):
        indicator = indicator_update_settings(indicator=cast.indicator, changed_by=None, weight=1.0)
        assert indicator.version == 1
        assert indicator.versions.count() == 1

    def test_it_refuses_an_unknown_setting(self, cast):
        with pytest.raises(ValidationError):
            indicator_update_settings(indicator=cast.indicator, changed_by=None, name="renamed")

    def test_a_bad_settings_change_records_nothing(self, cast):
        with pytest.raises(ValidationError):
            indicator_update_settings(indicator=cast.indicator, changed_by=None, threshold_high=9)
        assert Indicator.objects.get(pk=cast.indicator.pk).version == 1
        assert cast.indicator.versions.count() == 1


class TestFieldReports:
    def test_the_database_refuses_grades_outside_the_scales(self, cast):
        report = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
        with raises_integrity(), transaction.atomic():
            FieldReport.objects.filter(pk=report.pk).update(source_reliability="G")
        for credibility in (0, 7):
            with raises_integrity(), transaction.atomic():
                FieldReport.objects.filter(pk=report.pk).update(information_credibility=credibility)

    def test_the_database_refuses_two_readings_of_one_indicator(self, cast):
        report = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
        with raises_integrity(), transaction.atomic():
            Reading.objects.create(report=report, indicator=cast.indicator, value=1)

    def test_the_database_refuses_scored_without_a_time(self, cast):
        report = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
        with raises_integrity(), transaction.atomic():
            FieldReport.objects.filter(pk=report.pk).update(status="scored")

    def test_the_source_reference_is_encrypted_at_rest(self, cast):
        report = factories.make_report(
            cast.analyst, cast.places["c1"], cast.indicator, source_reference="Imam of the east mosque"
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT source_reference FROM indicators_fieldreport WHERE id = %s", [report.pk])
            (stored,) = cursor.fetchone()
        assert stored and "Imam" not in stored
        assert FieldReport.objects.get(pk=report.pk).source_reference == "Imam of the east mosque"

    def test_the_history_holds_no_protected_field(self, cast):
        factories.make_report(cast.analyst, cast.places["c1"], cast.indicator, source_reference="secret")
        fields = {f.name for f in FieldReport.history.model._meta.get_fields()}
        assert "source_reference" not in fields
        assert "narrative" not in fields
        assert FieldReport.history.count() == 1


class TestAssessments:
    def test_the_database_refuses_a_score_outside_0_to_100(self, cast):
        for score in (-0.1, 100.1):
            with raises_integrity(), transaction.atomic():
                RiskAssessment.objects.create(community=cast.places["c1"], score=score, raw_score=1, level="low")

    def test_the_database_refuses_an_unknown_level(self, cast):
        with raises_integrity(), transaction.atomic():
            RiskAssessment.objects.create(community=cast.places["c1"], score=50, raw_score=1, level="extreme")

    def test_what_a_contribution_names_cannot_be_deleted(self, cast, django_capture_on_commit_callbacks):
        # The database checks no key of a contribution (derived rows, written by the scorer
        # only); Django's PROTECT still refuses to delete what one names.
        with django_capture_on_commit_callbacks(execute=True):
            factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
        contribution = Contribution.objects.select_related("report", "indicator").get()
        for named in (contribution.report, contribution.indicator):
            with pytest.raises(ProtectedError), transaction.atomic():
                named.delete()
        assert Contribution.objects.filter(report=contribution.report, indicator=contribution.indicator).exists()
