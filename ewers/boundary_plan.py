"""The database side of a boundary import, before anything is written: the country it is
bound to, each feature's parent (by code or by name), the containment check, and what
would change — created, updated, renamed, moved (docs/boundaries.md).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from django.utils.translation import gettext as _
from shapely.errors import GEOSException
from shapely.geometry import shape

from ewers.boundary_file import BoundaryImportError, FilePlace
from ewers.choices import PARENT_LEVEL, RegionLevel
from ewers.models import Region
from ewers.place_usage import below
from ewers.services import _regions_read

# A child is refused when less than this share of its area lies inside its parent's
# boundary (or only warned about with --lenient). Areas are compared in degrees, which is
# exact enough for a share: both shapes are distorted alike.
CONTAINMENT_MIN_SHARE = 0.5

PARENT_MATCHES = ("code", "name")


def name_key(name: str) -> str:
    """A name as compared for --parent-match name: Unicode-normalised, case and spaces ignored."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


@dataclass
class Plan:
    """What an import would do, found before anything is written."""

    country: Region | None
    parents: dict[int, Region | None] = field(default_factory=dict)  # feature index → parent
    existing: dict[str, Region] = field(default_factory=dict)  # code → the place of this country
    problems: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changes: list[tuple[FilePlace, str]] = field(default_factory=list)
    renames: list[str] = field(default_factory=list)
    moves: list[str] = field(default_factory=list)


# --- The country ------------------------------------------------------------------------


def _country_named(code: str) -> Region:
    country = Region.objects.filter(code=code, level=RegionLevel.COUNTRY).first()
    if country is None:
        raise BoundaryImportError([_("No country has the code %(code)s; create it first.") % {"code": repr(code)}])
    return country


def _country_from_parents(places: Sequence[FilePlace], level: str) -> Region:
    """The one country that holds every parent the file names by code, or a refusal."""
    parent_level = PARENT_LEVEL[level]
    refs = {p.parent_ref for p in places if p.parent_ref is not None}
    if parent_level == RegionLevel.COUNTRY:
        found = list(Region.objects.filter(level=RegionLevel.COUNTRY, code__in=refs))
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            codes = ", ".join(sorted(c.code for c in found))
            raise BoundaryImportError(
                [
                    _("The file spans several countries (%(codes)s): import one at a time with --country.")
                    % {"codes": codes}
                ]
            )
        raise BoundaryImportError([_("No country has the parent codes of this file; name it with --country.")])
    held: dict[int, set[str]] = defaultdict(set)
    rows = Region.objects.filter(level=parent_level, code__in=refs).values_list("country_id", "code")
    for country_id, code in rows:
        held[country_id].add(code)
    best = max((len(codes) for codes in held.values()), default=0)
    candidates = [country_id for country_id, codes in held.items() if len(codes) == best]
    if len(candidates) == 1:
        return Region.objects.get(pk=candidates[0])
    only = list(Region.objects.filter(level=RegionLevel.COUNTRY)[:2])
    if not candidates and len(only) == 1:
        return only[0]  # the one country there is: each unknown parent is named below
    if not candidates:
        message = _(
            "No %(level)s has the parent codes of this file; import them first, or name the country with --country."
        )
        raise BoundaryImportError([message % {"level": parent_level}])
    names = ", ".join(sorted(Region.objects.filter(pk__in=candidates).values_list("code", flat=True)))
    raise BoundaryImportError(
        [
            _("The parent codes of this file belong to several countries (%(codes)s): name one with --country.")
            % {"codes": names}
        ]
    )


def bound_country(
    places: Sequence[FilePlace], *, level: str, country_code: str | None, parent_match: str
) -> Region | None:
    """The country the import is bound to (None when it imports countries themselves)."""
    if level == RegionLevel.COUNTRY:
        if country_code is not None:
            others = [p for p in places if p.code != country_code]
            if others:
                message = _("%(where)s: this import is bound to the country %(country)s; the file holds another.")
                raise BoundaryImportError([message % {"where": others[0].where, "country": country_code}])
        return None
    if country_code is not None:
        return _country_named(country_code)
    if parent_match == "name" or not any(p.parent_ref for p in places):
        countries = list(Region.objects.filter(level=RegionLevel.COUNTRY)[:2])
        if len(countries) == 1:
            return countries[0]
        raise BoundaryImportError([_("Name the country this file belongs to with --country.")])
    return _country_from_parents(places, level)


# --- Parents ----------------------------------------------------------------------------


def _parent_candidates(country: Region | None, level: str, parent_match: str) -> dict[str, list[Region]]:
    parent_level = PARENT_LEVEL[level]
    if parent_level is None or country is None:
        return {}
    if parent_level == RegionLevel.COUNTRY:
        rows: list[Region] = [country]
    else:
        rows = list(Region.objects.filter(level=parent_level, country=country))
    found: dict[str, list[Region]] = defaultdict(list)
    for row in rows:
        found[row.code if parent_match == "code" else name_key(row.name)].append(row)
    return found


def match_parents(plan: Plan, places: Sequence[FilePlace], *, level: str, parent_match: str) -> None:
    """Each place's parent within the country, by code or by name; problems for the rest."""
    parent_level = PARENT_LEVEL[level]
    candidates = _parent_candidates(plan.country, level, parent_match)
    for place in places:
        if parent_level is None:
            plan.parents[place.index] = None
            continue
        if place.parent_ref is None:  # a region's file that does not name its country
            plan.parents[place.index] = plan.country
            continue
        key = place.parent_ref if parent_match == "code" else name_key(place.parent_ref)
        found = candidates.get(key, [])
        values = {"where": place.where, "parent": repr(place.parent_ref), "level": parent_level}
        values["country"] = plan.country.name if plan.country else ""
        if len(found) == 1:
            plan.parents[place.index] = found[0]
        elif not found and parent_match == "code":
            plan.problems.append((place.index, _unknown_parent_code(plan.country, place, level, values)))
        elif not found:
            message = _("%(where)s: no %(level)s of %(country)s is named %(parent)s.")
            plan.problems.append((place.index, message % values))
        else:
            values["codes"] = ", ".join(sorted(r.code for r in found))
            message = _("%(where)s: %(count)d places of %(country)s are named %(parent)s (%(codes)s); match by code.")
            plan.problems.append((place.index, message % {**values, "count": len(found)}))


def _unknown_parent_code(country: Region | None, place: FilePlace, level: str, values: dict[str, str]) -> str:
    other = Region.objects.filter(country=country, code=place.parent_ref).first() if country else None
    if other is not None:
        message = _("%(where)s: the parent %(code)s is a %(found)s; a %(child)s must sit inside a %(level)s.")
        return message % {**values, "code": other.code, "found": other.level, "child": level}
    message = _("%(where)s: no %(level)s of %(country)s has the code %(parent)s; import it first.")
    return message % values


# --- Containment ------------------------------------------------------------------------


def _shape_of(boundary: Any) -> Any:
    try:
        geometry = shape(boundary)
        return geometry if geometry.is_valid else shapely.make_valid(geometry)
    except (GEOSException, ValueError, TypeError, AttributeError):
        return None


def inside_share(child: Any, parent: Any) -> float:
    """The share of ``child``'s area that lies inside ``parent`` (1.0 for a shape with no area)."""
    if child.area == 0:
        return 1.0
    try:
        return float(child.intersection(parent).area / child.area)
    except GEOSException:
        return 0.0


def check_containment(plan: Plan, places: Sequence[FilePlace], *, lenient: bool, skip: set[int]) -> None:
    """A child mostly outside its parent's boundary is refused (a warning when lenient).
    Parents without a boundary, and those in ``skip`` (dissolved from these very places), pass."""
    shapes: dict[int, Any] = {}
    for place in places:
        parent = plan.parents.get(place.index)
        if parent is None or parent.boundary is None or parent.pk in skip:
            continue
        if parent.pk not in shapes:
            shapes[parent.pk] = _shape_of(parent.boundary)
        parent_shape = shapes[parent.pk]
        if parent_shape is None:
            continue
        share = inside_share(place.shape, parent_shape)
        if share >= CONTAINMENT_MIN_SHARE:
            continue
        values = {"where": place.where, "share": f"{share:.0%}", "parent": f"{parent.name} ({parent.code})"}
        values["min"] = f"{CONTAINMENT_MIN_SHARE:.0%}"
        message = _(
            "%(where)s: only %(share)s of its area lies inside its parent %(parent)s (at least %(min)s needed)."
        )
        if lenient:
            plan.warnings.append(message % values)
        else:
            plan.problems.append((place.index, message % values))


# --- What changes -----------------------------------------------------------------------


def read_existing(plan: Plan, places: Sequence[FilePlace], *, level: str) -> None:
    """The places of this country with the file's codes; a code held at another level is a problem."""
    queryset = (
        Region.objects.filter(country__isnull=True)
        if plan.country is None
        else Region.objects.filter(country=plan.country)
    )
    for region in _regions_read(queryset, "code", (p.code for p in places)):
        plan.existing[region.code] = region
    for place in places:
        current = plan.existing.get(place.code)
        if current is not None and current.level != level:
            message = _(
                "%(where)s: the code already belongs to a %(other)s, %(name)s; codes are unique across levels."
            ) % {"where": place.where, "other": current.level, "name": current.name}
            plan.problems.append((place.index, message))


def _change(place: FilePlace, current: Region | None, parent: Region | None) -> str:
    """'created', 'moved', 'updated' (the place itself), 'outline' (only its outline) or 'unchanged'."""
    if current is None:
        return "created"
    if current.parent_id != (parent.pk if parent is not None else None):
        return "moved"
    if current.name != place.name or current.boundary != place.boundary:
        return "updated"
    return "outline" if current.outline != place.outline else "unchanged"


def plan_changes(plan: Plan, places: Sequence[FilePlace]) -> None:
    """Each place's change; every rename and move described by name."""
    for place in places:
        current = plan.existing.get(place.code)
        parent = plan.parents.get(place.index)
        change = _change(place, current, parent)
        plan.changes.append((place, change))
        if current is None:
            continue
        if current.name != place.name:
            values = {"old": current.name, "new": place.name, "code": place.code}
            plan.renames.append(_("%(old)s → %(new)s (%(code)s)") % values)
        if change == "moved":
            values = {
                "name": current.name,
                "code": current.code,
                "old": current.parent.name if current.parent else "-",
                "new": parent.name if parent else "-",
                "what": below(current).describe(),
            }
            plan.moves.append(_("%(name)s (%(code)s): from %(old)s to %(new)s, moves %(what)s") % values)
