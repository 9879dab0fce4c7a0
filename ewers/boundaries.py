"""Import of administrative boundaries from a GeoJSON FeatureCollection.

One import loads one level (country, region, district or community) of **one country**:
each feature becomes a place, named by two of its properties (code and name) and placed
under the place a third property names, by code or by name (``parent_match``). The
country is the one ``country`` names, or the one the file's parents belong to; codes are
unique within a country, so nothing of another country is ever read as a match, renamed,
moved or reshaped. docs/boundaries.md describes the file, the checks and the flags.

The whole file is checked before anything is written (ewers.boundary_file, then
ewers.boundary_plan against the database), and everything — dissolved parents, places,
the import's record — is written in one transaction: a bad file is refused with every
problem listed by feature and writes nothing. A place that would move to another parent
is listed with what hangs below it, and moves are written only with ``allow_moves``.
Every import that writes is recorded (ewers.models.BoundaryImport) and can be undone
(ewers.services.boundary_import_undo).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ewers.boundary_file import (
    BoundaryImportError,
    BoundarySource,
    FileOptions,
    FilePlace,
    check_features,
    features_of,
    load,
    refuse,
)
from ewers.boundary_plan import (
    PARENT_MATCHES,
    Plan,
    bound_country,
    check_containment,
    match_parents,
    plan_changes,
    read_existing,
)
from ewers.choices import PARENT_LEVEL, RegionLevel
from ewers.geometry import geometry_json, geometry_outline, polygonal
from ewers.models import BoundaryImport, Region, User
from ewers.services import RegionRow, regions_upsert_many

__all__ = ["BoundaryImportError", "BoundaryImportResult", "BoundarySource", "boundaries_import", "import_summary"]


@dataclass(frozen=True)
class BoundaryImportResult:
    """What an import did (or, for a dry run, would do)."""

    created: int
    updated: int
    unchanged: int
    repaired: int
    dry_run: bool
    moved: int = 0
    country: str = ""
    renames: list[str] = field(default_factory=list)
    moves: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    parents_created: int = 0
    parents_updated: int = 0
    record_id: int | None = None

    @property
    def total(self) -> int:
        return self.created + self.updated + self.moved + self.unchanged


@dataclass
class _Written:
    """What the writes did, for the record: ids created and the state of places changed."""

    created_ids: list[int] = field(default_factory=list)
    previous: dict[str, dict[str, Any]] = field(default_factory=dict)
    parents_created: int = 0
    parents_updated: int = 0
    dissolved_ids: set[int] = field(default_factory=set)


class _DryRun(Exception):
    def __init__(self, result: BoundaryImportResult) -> None:
        self.result = result


def _remember(written: _Written, region: Region) -> None:
    written.previous[str(region.pk)] = {
        "name": region.name,
        "parent_id": region.parent_id,
        "boundary": region.boundary,
        "outline": region.outline,
    }


def _options_check(level: str, code_property: str, name_property: str, parent_match: str) -> None:
    if level not in RegionLevel.values:
        raise BoundaryImportError([_("Unknown level %(level)s.") % {"level": repr(level)}])
    if not code_property or not name_property:
        raise BoundaryImportError([_("Name the properties that hold the code and the name.")])
    if parent_match not in PARENT_MATCHES:
        raise BoundaryImportError([_("Parents are matched by code or by name.")])


def _parent_property_check(level: str, parent_property: str | None, country: str | None) -> str | None:
    if PARENT_LEVEL[level] is None:
        return None  # a country has no parent
    if not parent_property and not (level == RegionLevel.REGION and country):
        raise BoundaryImportError(
            [
                _("A %(level)s sits inside a %(parent)s: name the property that holds the parent's code.")
                % {"level": level, "parent": PARENT_LEVEL[level]}
            ]
        )
    return parent_property or None


def boundaries_import(
    *,
    source: BoundarySource,
    level: str,
    code_property: str,
    name_property: str,
    parent_property: str | None = None,
    dry_run: bool = False,
    repair: bool = False,
    max_bytes: int | None = None,
    country: str | None = None,
    parent_match: str = "code",
    parent_name_property: str | None = None,
    dissolve_parents: bool = False,
    lenient: bool = False,
    allow_moves: bool = False,
    file_name: str = "",
    user: User | None = None,
) -> BoundaryImportResult:
    """Create or update the places of ``level`` of one country from a GeoJSON FeatureCollection.

    ``source`` is a ``Path``, the file's text, an open binary file (an upload) or the
    parsed JSON. ``country`` binds the import to that country's code (otherwise the
    country the parents belong to). ``parent_match`` is "code" or "name": what the parent
    property holds. A child mostly outside its parent is refused, or warned about when
    ``lenient``. With ``dissolve_parents`` (districts only) the parent property's codes make
    the regions, each the union of its districts. A place that changes parent is a move,
    refused unless ``allow_moves``. Any problem raises BoundaryImportError listing all of
    them and nothing is written; a dry run writes nothing either way.
    """
    _options_check(level, code_property, name_property, parent_match)
    parent_property = _parent_property_check(level, parent_property, country)
    if dissolve_parents and (level != RegionLevel.DISTRICT or parent_match != "code" or not parent_property):
        raise BoundaryImportError(
            [
                _(
                    "--dissolve-parents builds the regions from a file of districts whose parent property "
                    "holds each region's code."
                )
            ]
        )
    collection, digest = load(source, max_bytes=max_bytes or settings.EWERS_BOUNDARY_MAX_BYTES)
    options = FileOptions(level, code_property, name_property, parent_property, parent_name_property, repair)
    places, file_problems = check_features(features_of(collection), options)
    try:
        bound = bound_country(places, level=level, country_code=country, parent_match=parent_match)
    except BoundaryImportError as exc:
        if file_problems:  # the file's own problems come first; the country may follow from them
            raise refuse([text for _index, text in file_problems] + exc.messages) from None
        raise
    checks = _Checks(level, parent_match, lenient, dissolve_parents, allow_moves, dry_run)
    try:
        with transaction.atomic():
            plan, written, result = _apply(places, file_problems, bound, checks)
            record = _record(plan, result, written, level=level, file_name=file_name, digest=digest, user=user)
    except _DryRun as dry:
        return dry.result
    return BoundaryImportResult(**{**result.__dict__, "record_id": record.pk if record else None})


@dataclass(frozen=True)
class _Checks:
    level: str
    parent_match: str
    lenient: bool
    dissolve_parents: bool
    allow_moves: bool
    dry_run: bool


def _apply(
    places: list[FilePlace], file_problems: list[tuple[int, str]], bound: Region | None, checks: _Checks
) -> tuple[Plan, _Written, BoundaryImportResult]:
    """Check the places against the database and write them (inside the caller's transaction).

    Raises BoundaryImportError on any problem (the caller's transaction then writes
    nothing), and _DryRun with the result on a dry run (dissolved parents rolled back too).
    """
    plan = Plan(country=bound, problems=list(file_problems))
    written = _Written()
    if checks.dissolve_parents and not file_problems:
        _dissolve(places, plan, written)
    read_existing(plan, places, level=checks.level)
    match_parents(plan, places, level=checks.level, parent_match=checks.parent_match)
    check_containment(plan, places, lenient=checks.lenient, skip=written.dissolved_ids)
    if plan.problems:
        # In file order, whichever check found them.
        raise refuse([text for _index, text in sorted(plan.problems, key=lambda p: p[0])])
    plan_changes(plan, places)
    result = _result(plan, places, written, dry_run=checks.dry_run)
    if checks.dry_run:
        raise _DryRun(result)
    if plan.moves and not checks.allow_moves:
        refusal = ngettext(
            "%(count)d place would move to another parent; nothing was imported. Check the move "
            "above and import again allowing moves (--allow-moves).",
            "%(count)d places would move to another parent; nothing was imported. Check the moves "
            "above and import again allowing moves (--allow-moves).",
            len(plan.moves),
        )
        raise BoundaryImportError([*plan.moves, refusal % {"count": len(plan.moves)}])
    _write(plan, level=checks.level, written=written)
    return plan, written, result


def _result(plan: Plan, places: Sequence[FilePlace], written: _Written, *, dry_run: bool) -> BoundaryImportResult:
    counts: dict[str, int] = defaultdict(int)
    for _place, change in plan.changes:
        counts[change] += 1
    return BoundaryImportResult(
        created=counts["created"],
        updated=counts["updated"] + counts["outline"],
        moved=counts["moved"],
        unchanged=counts["unchanged"],
        repaired=sum(place.repaired for place in places),
        dry_run=dry_run,
        country=plan.country.code if plan.country else "",
        renames=plan.renames,
        moves=plan.moves,
        warnings=plan.warnings,
        parents_created=written.parents_created,
        parents_updated=written.parents_updated,
    )


def _dissolve(places: Sequence[FilePlace], plan: Plan, written: _Written) -> None:
    """Write the regions the districts' parent codes name, each the union of its districts."""
    assert plan.country is not None  # a district import is always bound to a country
    groups: dict[str, list[FilePlace]] = defaultdict(list)
    for place in places:
        groups[place.parent_ref or ""].append(place)
    current = {r.code: r for r in Region.objects.filter(country=plan.country, code__in=list(groups))}
    rows: list[RegionRow] = []
    for code, members in sorted(groups.items()):
        existing = current.get(code)
        if existing is not None and existing.level != RegionLevel.REGION:
            message = _("%(where)s: the parent code %(code)s belongs to a %(level)s, not a region.")
            plan.problems.append(
                (members[0].index, message % {"where": members[0].where, "code": code, "level": existing.level})
            )
            continue
        union = polygonal(shapely.union_all([m.shape for m in members]))
        if union is None:
            continue
        name = next((m.parent_name for m in members if m.parent_name), None) or (existing.name if existing else code)
        rows.append(
            RegionRow(
                code=code,
                name=name,
                parent=plan.country,
                boundary=geometry_json(union, decimals=None),
                outline=geometry_outline(union, level=RegionLevel.REGION, valid=True),
            )
        )
        if existing is not None:
            _remember(written, existing)
    if plan.problems:
        return
    counts = _upsert(rows, level=RegionLevel.REGION, plan=plan)
    written.parents_created, written.parents_updated = counts.created, counts.updated
    made = Region.objects.filter(country=plan.country, level=RegionLevel.REGION, code__in=[r.code for r in rows])
    for region in made:
        written.dissolved_ids.add(region.pk)
        if str(region.pk) not in written.previous:
            written.created_ids.append(region.pk)


def _upsert(rows: list[RegionRow], *, level: str, plan: Plan) -> Any:
    try:
        return regions_upsert_many(level=level, rows=rows)
    except ValidationError as exc:
        # Checked above; a rule of the writer's own (or a place changed meanwhile) still
        # refuses the whole file, and the transaction writes nothing.
        by_code = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        raise refuse(
            [f"{code}: {' '.join(messages)}" if code else " ".join(messages) for code, messages in by_code.items()]
        ) from None


def _write(plan: Plan, *, level: str, written: _Written) -> None:
    """Write the new and changed places (regions_upsert_many, inside the import's transaction)."""
    changed = [(place, change) for place, change in plan.changes if change != "unchanged"]
    if not changed:
        return
    for place, change in changed:
        if change != "created":
            _remember(written, plan.existing[place.code])
    rows = [
        RegionRow(
            code=place.code,
            name=place.name,
            parent=plan.parents.get(place.index),
            boundary=place.boundary,
            outline=place.outline,
        )
        for place, _change in changed
    ]
    _upsert(rows, level=level, plan=plan)
    created = {place.code for place, change in changed if change == "created"}
    scope = Region.objects.filter(country=plan.country) if plan.country else Region.objects.filter(country__isnull=True)
    written.created_ids.extend(scope.filter(level=level, code__in=sorted(created)).values_list("pk", flat=True))


def _record(
    plan: Plan,
    result: BoundaryImportResult,
    written: _Written,
    *,
    level: str,
    file_name: str,
    digest: str,
    user: User | None,
) -> BoundaryImport | None:
    """The import's record, when it wrote something."""
    if not written.created_ids and not written.previous:
        return None
    country = plan.country
    if country is None and written.created_ids:
        country = Region.objects.filter(pk__in=written.created_ids).first()
    return BoundaryImport.objects.create(
        created_by=user,
        file_name=file_name[:255] or "-",
        file_sha256=digest,
        country=country,
        country_code=country.code if country else "",
        level=level,
        created_count=result.created + result.parents_created,
        updated_count=result.updated + result.parents_updated,
        moved_count=result.moved,
        unchanged_count=result.unchanged,
        created_ids=sorted(written.created_ids),
        previous=written.previous,
    )


def import_summary(result: BoundaryImportResult, level: str) -> list[str]:
    """The lines that tell what an import did or would do: counts, renames, moves, warnings."""
    text = _("%(level)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
    if result.moved:
        text = _("%(level)s: %(created)d created, %(updated)d updated, %(moved)d moved, %(unchanged)d unchanged.")
    summary = text % {
        "level": level,
        "created": result.created,
        "updated": result.updated,
        "moved": result.moved,
        "unchanged": result.unchanged,
    }
    if result.repaired:
        summary += " " + _("%(count)d invalid geometries repaired.") % {"count": result.repaired}
    if result.parents_created or result.parents_updated:
        summary += " " + _("Regions dissolved from the districts: %(created)d created, %(updated)d updated.") % {
            "created": result.parents_created,
            "updated": result.parents_updated,
        }
    lines = [summary]
    lines += [_("Renames: %(rename)s") % {"rename": rename} for rename in result.renames]
    lines += [_("Moves: %(move)s") % {"move": move} for move in result.moves]
    lines += [_("Warning: %(warning)s") % {"warning": warning} for warning in result.warnings]
    return lines
