"""Writes of the core domain: regions, themes and organisations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ewers.choices import PARENT_LEVEL, RegionLevel, RiskLevel, Sector
from ewers.geometry import boundary_outline
from ewers.models import Organisation, Region, Theme, ThemeTier


def region_placement_check(*, level: str, parent: Region | None, existing: Region | None = None) -> None:
    """Raise ValidationError unless a region of ``level`` may sit under ``parent``.

    Its parent must be one level above it, and a region with children keeps its level,
    since changing it would break the hierarchy below.
    """
    if level not in RegionLevel.values:
        raise ValidationError({"level": _("Unknown level %(level)s.") % {"level": level}})
    expected_parent = PARENT_LEVEL[level]
    if expected_parent is None and parent is not None:
        raise ValidationError({"parent": _("A country has no parent.")})
    if expected_parent is not None and (parent is None or parent.level != expected_parent):
        raise ValidationError(
            {"parent": _("A %(level)s must sit inside a %(parent)s.") % {"level": level, "parent": expected_parent}}
        )
    if existing is not None and existing.level != level and existing.children.exists():
        raise ValidationError({"level": _("%(code)s has children; its level cannot change.") % {"code": existing.code}})


@transaction.atomic
def region_upsert(
    *,
    code: str,
    name: str,
    level: str,
    parent: Region | None = None,
    boundary: dict[str, Any] | None = None,
) -> tuple[Region, bool]:
    """Create or update the region ``code`` under ``parent``; returns (region, created).

    Keeps the denormalised ancestor columns in step with ``parent``, for the region and,
    when it moves, for everything below it. A region's level cannot change once it has
    children, since that would break the hierarchy below. A new boundary (or level) gets
    its outline recomputed (ewers.geometry.boundary_outline).
    """
    # Codes are unique within a country: the place is looked for in the parent's country.
    region = Region.objects.select_for_update().filter(code=code, **region_scope_filter(parent)).first()
    region_placement_check(level=level, parent=parent, existing=region)
    created = region is None
    moved = not created and region is not None and region.parent_id != (parent.pk if parent else None)
    if region is None:
        region = Region(code=code)
    if created or boundary != region.boundary or level != region.level:
        # Maps draw the outline, so it follows the boundary (and the level's tolerance).
        region.outline = boundary_outline(boundary, level=level)
    region.name = name
    region.level = level
    region.boundary = boundary
    _region_place(region, parent)
    region.full_clean()
    region.save()
    if moved:
        _region_descendants_follow(region)
    return region, created


def region_scope_filter(parent: Region | None) -> dict[str, Any]:
    """The lookup of the places that share a code's scope with a place under ``parent``:
    the countries for a country, otherwise the parent's country."""
    if parent is None:
        return {"country__isnull": True}
    return {"country_id": region_ancestor_ids(parent)[0]}


def region_ancestor_ids(parent: Region | None) -> tuple[int | None, int | None, int | None]:
    """The (country, region, district) ids a place directly under ``parent`` carries.

    These are the denormalised ancestor columns (the Region check constraint holds them
    to the level); taken from the parent's own columns, so no query is needed.
    """
    if parent is None:
        return None, None, None
    country_id = parent.country_id or parent.pk
    region_id = (parent.region_id or parent.pk) if parent.level in (RegionLevel.REGION, RegionLevel.DISTRICT) else None
    district_id = parent.pk if parent.level == RegionLevel.DISTRICT else None
    return country_id, region_id, district_id


def _region_place(region: Region, parent: Region | None) -> None:
    """Put ``region`` under ``parent``: its parent and its ancestor columns (not saved)."""
    region.parent = parent
    region.country_id, region.region_id, region.district_id = region_ancestor_ids(parent)


def _region_descendants_follow(region: Region) -> None:
    """After ``region`` moved, give the rows below it their new ancestors (one UPDATE)."""
    if region.level == RegionLevel.REGION:
        Region.objects.filter(region=region).update(country_id=region.country_id)
    elif region.level == RegionLevel.DISTRICT:
        Region.objects.filter(district=region).update(country_id=region.country_id, region_id=region.region_id)


# Rows per INSERT or UPDATE of regions_upsert_many, and codes or ids per read (both below
# SQLite's limit on a statement's parameters).
REGION_BATCH = 500
REGION_READ_CHUNK = 900
# Columns regions_upsert_many writes on a place that stays where it is; the ancestor
# columns only when they are out of step (each column costs its own CASE in the UPDATE).
_REGION_UPDATE_FIELDS = ["name", "boundary", "outline"]
_REGION_ANCESTOR_FIELDS = ["country", "region", "district"]
# Checked up front on each row: the parent and ancestor columns are checked against the
# parents read in bulk instead (Model.full_clean would read each of them, one query apiece).
_REGION_FK_FIELDS = ["parent", "country", "region", "district"]


@dataclass(frozen=True)
class RegionRow:
    """One place for regions_upsert_many: region_upsert's arguments, and its map outline."""

    code: str
    name: str
    parent: Region | None = None
    boundary: dict[str, Any] | None = None
    # The boundary simplified for maps (ewers.geometry.boundary_outline), stored as given.
    outline: dict[str, Any] | None = None


@dataclass(frozen=True)
class RegionCounts:
    """What regions_upsert_many did."""

    created: int
    updated: int
    unchanged: int


def _regions_read(queryset: Any, field: str, values: Iterable[Any]) -> list[Region]:
    wanted = sorted(set(values))
    found: list[Region] = []
    for start in range(0, len(wanted), REGION_READ_CHUNK):
        found.extend(queryset.filter(**{f"{field}__in": wanted[start : start + REGION_READ_CHUNK]}))
    return found


@transaction.atomic
def regions_upsert_many(*, level: str, rows: Sequence[RegionRow]) -> RegionCounts:
    """Create or update many places of ``level`` as region_upsert would, in a few queries per 500.

    The same rules hold (the parent one level up, a level kept once a place has children,
    the ancestor columns in step, every field valid) and each row's outline is stored too.
    A row whose parent or level changes goes through region_upsert, which moves the places
    below it. All or nothing: any problem raises ValidationError, its messages keyed by
    code, and nothing is written. A row that matches what is stored is not written.
    """
    if level not in RegionLevel.values:
        raise ValidationError({"level": _("Unknown level %(level)s.") % {"level": level}})
    errors: dict[str, list[str]] = {}
    # Codes are unique within a country: a row is keyed by its parent's country and its code.
    seen: set[tuple[int | None, str]] = set()
    for row in rows:
        key = (region_ancestor_ids(row.parent)[0], row.code)
        if key in seen:
            errors.setdefault(row.code, []).append(_("The code appears more than once."))
        seen.add(key)
    # Parents are read again inside the transaction: the rows' copies may be stale or unsaved.
    parent_ids = {row.parent.pk for row in rows if row.parent is not None and row.parent.pk is not None}
    parent_rows = Region.objects.only("id", "code", "level", "country", "region")
    parents = {parent.pk: parent for parent in _regions_read(parent_rows, "pk", parent_ids)}
    # Locked like region_upsert's row, so that two imports of one place queue up.
    locked = Region.objects.select_for_update()
    existing = {
        (region.country_id, region.code): region for region in _regions_read(locked, "code", {c for _s, c in seen})
    }
    created: list[Region] = []
    updated: list[Region] = []
    realigned: list[Region] = []
    moved: list[tuple[RegionRow, Region | None]] = []
    unchanged = 0
    for row in rows:
        parent = None
        if row.parent is not None:
            parent = parents.get(row.parent.pk) if row.parent.pk is not None else None
            if parent is None:
                errors.setdefault(row.code, []).append(
                    _("The parent %(parent)s is not a stored place.") % {"parent": row.parent.code}
                )
                continue
        current = existing.get((region_ancestor_ids(parent)[0], row.code))
        region = Region(code=row.code, name=row.name, level=level, boundary=row.boundary, outline=row.outline)
        _region_place(region, parent)
        try:
            region_placement_check(level=level, parent=parent, existing=current)
            # Uniqueness is the database's (the codes were read above), and the check
            # constraint holds by region_placement_check and region_ancestor_ids.
            region.full_clean(exclude=_REGION_FK_FIELDS, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors.setdefault(row.code, []).extend(exc.messages)
            continue
        if current is None:
            created.append(region)
        elif current.level != level or current.parent_id != region.parent_id:
            moved.append((row, parent))
        else:
            region.pk = current.pk
            ancestors = (region.country_id, region.region_id, region.district_id)
            if ancestors != (current.country_id, current.region_id, current.district_id):
                realigned.append(region)
            elif any(getattr(current, f) != getattr(region, f) for f in _REGION_UPDATE_FIELDS):
                updated.append(region)
            else:
                unchanged += 1
    if errors:
        raise ValidationError(errors)
    Region.objects.bulk_create(created, batch_size=REGION_BATCH)
    Region.objects.bulk_update(updated, _REGION_UPDATE_FIELDS, batch_size=REGION_BATCH)
    Region.objects.bulk_update(realigned, _REGION_UPDATE_FIELDS + _REGION_ANCESTOR_FIELDS, batch_size=REGION_BATCH)
    # Moves are rare; region_upsert gives the places below a moved one their new ancestors.
    for row, parent in moved:
        region, _created = region_upsert(
            code=row.code, name=row.name, level=level, parent=parent, boundary=row.boundary
        )
        Region.objects.filter(pk=region.pk).update(outline=row.outline)
    return RegionCounts(created=len(created), updated=len(updated) + len(realigned) + len(moved), unchanged=unchanged)


def theme_upsert(
    *,
    code: str,
    name: str,
    description: str = "",
    police_at_once: bool = False,
    tiers: Mapping[str, int] | None = None,
    name_ms: str | None = None,
    description_ms: str | None = None,
) -> Theme:
    """Create or update a theme; ``tiers`` (sector → response tier) replaces its tiers when
    given (sectors it leaves out keep ``ewers.choices.DEFAULT_TIERS``). The Malay texts
    change only when given."""
    defaults: dict[str, Any] = {"name": name, "description": description, "police_at_once": police_at_once}
    if name_ms is not None:
        defaults["name_ms"] = name_ms
    if description_ms is not None:
        defaults["description_ms"] = description_ms
    theme, _created = Theme.objects.update_or_create(code=code, defaults=defaults)
    if tiers is not None:
        unknown = set(tiers) - set(Sector.values)
        if unknown or any(not 1 <= tier <= 9 for tier in tiers.values()):
            raise ValidationError({"tiers": _("Tiers are 1 to 9, for known sectors.")})
        ThemeTier.objects.filter(theme=theme).exclude(sector__in=list(tiers)).delete()
        for sector, tier in tiers.items():
            ThemeTier.objects.update_or_create(theme=theme, sector=sector, defaults={"tier": tier})
    return theme


@transaction.atomic
def organisation_upsert(
    *,
    code: str,
    name: str,
    sector: str,
    coverage: Iterable[Region],
    mandate: Iterable[Theme],
    min_alert_level: str = RiskLevel.HIGH,
    contact_email: str = "",
    shown_to_co_responders: bool = True,
) -> Organisation:
    """Create or update an organisation with exactly the given coverage and mandate."""
    if sector not in Sector.values:
        raise ValidationError({"sector": _("Unknown sector %(sector)s.") % {"sector": sector}})
    organisation = Organisation.objects.filter(code=code).first() or Organisation(code=code)
    values = {
        "name": name,
        "sector": sector,
        "min_alert_level": min_alert_level,
        "contact_email": contact_email,
        "shown_to_co_responders": shown_to_co_responders,
    }
    # Saved only when something changed, so an unchanged upsert leaves no history entry.
    if organisation.pk is None or any(getattr(organisation, k) != v for k, v in values.items()):
        for key, value in values.items():
            setattr(organisation, key, value)
        organisation.full_clean()
        organisation.save()
    organisation.coverage.set(list(coverage))
    organisation.mandate.set(list(mandate))
    return organisation
