"""The filters of the analytics pages; the heatmap API validates its query with the same form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from analytics import heatmap
from analytics.choices import AreaLevel, Period, Stat
from analytics.selectors import REGION_FILTER_LEVELS, HeatmapQuery, region_filter_choices
from ewers.i18n import localized_column
from ewers.lookups import get_by_code_or_id
from ewers.models import Region, Theme, User
from ewers.widgets import QuickSelect
from indicators.choices import Category

HEATMAP_DEFAULTS: dict[str, Any] = {
    "level": AreaLevel.COMMUNITY.value,
    "weeks": heatmap.WEEKS_DEFAULT,
    # Districts and regions show their highest community by default: a mean hides hotspots.
    "stat": heatmap.STAT_MAX,
}


class _RegionFilterMixin:
    """A "region" field naming, by code or id, a country, region or district in the
    user's share; the page offers them in a list, the API takes the code or the id."""

    user: User
    fields: dict[str, forms.Field]

    def _region_setup(self, *, with_choices: bool) -> None:
        if with_choices:
            # A tree: each country, then each region followed by its districts.
            regions = region_filter_choices(self.user)
            indent = {"country": "", "region": "· ", "district": "· · "}
            self.fields["region"].widget = QuickSelect(
                choices=[("", _("All your coverage")), *((c, f"{indent[lv]}{n}") for c, n, lv in regions)]
            )

    def clean_region(self) -> Region | None:
        ref = self.cleaned_data.get("region")  # type: ignore[attr-defined]
        if not ref:
            return None
        regions = Region.objects.visible_to(self.user).filter(level__in=REGION_FILTER_LEVELS)
        region = get_by_code_or_id(regions, ref)
        if region is None:
            raise forms.ValidationError(_("No such region or district in your coverage."), code="unknown")
        return region


class HeatmapForm(_RegionFilterMixin, forms.Form):
    """Level, region, theme, indicator category, weeks and statistic of a heatmap."""

    level = forms.ChoiceField(label=_("Show"), choices=AreaLevel.choices, required=False)
    region = forms.CharField(label=_("Region"), required=False, max_length=64)
    theme = forms.CharField(label=_("Theme"), required=False, max_length=64)
    category = forms.ChoiceField(
        label=_("Indicator category"), choices=[("", _("Any")), *Category.choices], required=False
    )
    weeks = forms.IntegerField(
        label=_("Weeks"), min_value=heatmap.WEEKS_MIN, max_value=heatmap.WEEKS_MAX, required=False
    )
    stat = forms.ChoiceField(label=_("Areas show"), choices=Stat.choices, required=False)

    def __init__(self, data: Any = None, *, user: User, with_choices: bool = True) -> None:
        super().__init__(data)
        self.user = user
        self._region_setup(with_choices=with_choices)
        if with_choices:
            themes = Theme.objects.order_by("name").values_list("code", localized_column("name"))
            self.fields["theme"].widget = QuickSelect(choices=[("", _("Any")), *themes])
        self.fields["weeks"].widget.attrs.update({"inputmode": "numeric"})

    def clean_theme(self) -> Theme | None:
        ref = self.cleaned_data.get("theme")
        if not ref:
            return None
        theme = get_by_code_or_id(Theme.objects.all(), ref)
        if theme is None:
            raise forms.ValidationError(_("No such theme."), code="unknown")
        return theme

    def heatmap_query(self) -> HeatmapQuery:
        """The validated query, defaults filled in. Call after is_valid()."""
        data = self.cleaned_data
        return HeatmapQuery(
            level=data.get("level") or HEATMAP_DEFAULTS["level"],
            weeks=data.get("weeks") or HEATMAP_DEFAULTS["weeks"],
            stat=data.get("stat") or HEATMAP_DEFAULTS["stat"],
            region=data.get("region"),
            theme=data.get("theme"),
            category=data.get("category") or "",
        )


class OverviewForm(_RegionFilterMixin, forms.Form):
    """Region and period of the coordinator's overview."""

    region = forms.CharField(label=_("Region"), required=False, max_length=64)
    period = forms.TypedChoiceField(
        label=_("Period"), choices=Period.choices, coerce=int, required=False, empty_value=None
    )

    def __init__(self, data: Any = None, *, user: User) -> None:
        super().__init__(data)
        self.user = user
        self._region_setup(with_choices=True)

    @property
    def days(self) -> int:
        return (self.cleaned_data.get("period") if self.is_valid() else None) or Period.MONTH


def form_data(params: Any, names: list[str]) -> dict[str, str]:
    """The form's own parameters out of a query string (the first value of each)."""
    return {name: params.get(name) for name in names if params.get(name) not in (None, "")}
