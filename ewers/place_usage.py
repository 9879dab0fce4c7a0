"""What hangs below places (read only): the places under them by level, and their *cases* —
rows of other apps that point at them (field reports, alerts, incidents…).

ewers sits below the apps that hold cases and never imports them: every one-to-many
relation to Region is found through Django's model metadata. A model with a ``state``
field offering ``open`` (alerts) is counted by its open rows only, since that is what a
move or a deletion would disturb.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ewers.choices import RegionLevel
from ewers.models import BoundaryImport, Region

OPEN_STATE = "open"


@dataclass
class PlaceUsage:
    """Counts of what hangs below (or on) some places."""

    places: dict[str, int] = field(default_factory=dict)  # level → places below
    cases: dict[str, int] = field(default_factory=dict)  # "N open alerts"-style label key → count
    case_labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # key → (singular, plural)

    @property
    def case_total(self) -> int:
        return sum(self.cases.values())

    def describe(self) -> str:
        """E.g. "5 districts, 7 communities, 3 field reports, 1 open alert" ("nothing" when empty)."""
        parts = [_level_count(level, n) for level, n in self.places.items() if n]
        for key, count in self.cases.items():
            if count:
                singular, plural = self.case_labels[key]
                parts.append(f"{count} {singular if count == 1 else plural}")
        return ", ".join(parts) if parts else _("nothing below it")


def _level_count(level: str, count: int) -> str:
    texts: dict[str, str] = {
        RegionLevel.COUNTRY: ngettext("%(count)d country", "%(count)d countries", count),
        RegionLevel.REGION: ngettext("%(count)d region", "%(count)d regions", count),
        RegionLevel.DISTRICT: ngettext("%(count)d district", "%(count)d districts", count),
        RegionLevel.COMMUNITY: ngettext("%(count)d community", "%(count)d communities", count),
    }
    return texts[level] % {"count": count}


def case_relations() -> list[Any]:
    """The one-to-many relations of other models to Region (reports, alerts, incidents…)."""
    return [
        rel
        for rel in Region._meta.related_objects
        if rel.one_to_many and rel.related_model not in (Region, BoundaryImport)
    ]


def _has_open_state(model: Any) -> bool:
    try:
        state = model._meta.get_field("state")
    except Exception:  # noqa: BLE001 - FieldDoesNotExist, whatever the model
        return False
    return OPEN_STATE in {value for value, _label in (getattr(state, "choices", None) or [])}


def cases_of(region_ids: Collection[int]) -> PlaceUsage:
    """The cases on the places ``region_ids`` themselves (not below them)."""
    usage = PlaceUsage()
    if not region_ids:
        return usage
    for rel in case_relations():
        model = rel.related_model
        rows = model._base_manager.filter(**{f"{rel.field.name}__in": list(region_ids)})
        meta = model._meta
        key = f"{meta.label}.{rel.field.name}"
        if _has_open_state(model):
            rows = rows.filter(state=OPEN_STATE)
            usage.case_labels[key] = (
                _("open %(name)s") % {"name": meta.verbose_name},
                _("open %(name)s") % {"name": meta.verbose_name_plural},
            )
        else:
            usage.case_labels[key] = (str(meta.verbose_name), str(meta.verbose_name_plural))
        usage.cases[key] = usage.cases.get(key, 0) + rows.count()
    return usage


def all_cases_of(region_ids: Collection[int]) -> dict[tuple[str, str], int]:
    """Every row pointing at the places, open or not, by model's (singular, plural) name:
    what forbids deleting them."""
    found: dict[tuple[str, str], int] = {}
    for rel in case_relations():
        count = rel.related_model._base_manager.filter(**{f"{rel.field.name}__in": list(region_ids)}).count()
        if count:
            meta = rel.related_model._meta
            key = (str(meta.verbose_name), str(meta.verbose_name_plural))
            found[key] = found.get(key, 0) + count
    return found


def describe_counts(found: dict[tuple[str, str], int]) -> str:
    """E.g. "1 alert, 2 field reports"."""
    return ", ".join(f"{count} {one if count == 1 else many}" for (one, many), count in sorted(found.items()))


def below(region: Region) -> PlaceUsage:
    """What hangs below ``region``: its places by level, and the cases on it and on them."""
    column: dict[str, str] = {
        RegionLevel.COUNTRY: "country",
        RegionLevel.REGION: "region",
        RegionLevel.DISTRICT: "district",
    }
    ids = [region.pk]
    places: dict[str, int] = {}
    if region.level in column:
        rows = Region.objects.filter(Q(**{column[region.level]: region.pk})).values_list("pk", "level")
        for pk, level in rows:
            ids.append(pk)
            places[level] = places.get(level, 0) + 1
    usage = cases_of(ids)
    order = list(RegionLevel.values)
    usage.places = dict(sorted(places.items(), key=lambda item: order.index(item[0])))
    return usage
