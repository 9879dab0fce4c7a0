"""Import of administrative boundaries from a GeoJSON FeatureCollection.

One import loads one level (country, region, district or community): each feature
becomes a place, named by two of its properties (code and name) and placed under the
place whose code a third property holds. The parent must already exist, one level up:
a country's tree is loaded top-down, one file (or one run) per level. docs/boundaries.md
describes the file, the checks and the simplification.

The whole file is checked before anything is written, and the writes share one
transaction: a bad file is refused with every problem listed by feature and writes
nothing. Places are written in bulk through ``ewers.services.regions_upsert_many``
(region_upsert's rules, a few statements per 500 places); a feature whose stored name,
parent, boundary and outline already match is not written at all, so a second run of the
same file changes nothing.

Large files (a country's thousands of polygons) are parsed once, and the database is
read and written in a few queries per thousand codes, never once per feature (but for a
place that moves to another parent, which region_upsert moves with everything below it).
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import shapely
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.errors import GEOSException

from ewers.choices import PARENT_LEVEL, RegionLevel
from ewers.geojson import validate_boundary
from ewers.geometry import boundary_validity, geometry_json, geometry_outline, polygonal
from ewers.models import Region, code_validator
from ewers.services import RegionRow, _regions_read, regions_upsert_many

# Problems listed in one error, beyond which the rest are counted: a wholly wrong file
# (the wrong level, the wrong property) would otherwise print thousands of lines.
MAX_MESSAGES = 100

CODE_MAX_LENGTH = Region._meta.get_field("code").max_length or 64
NAME_MAX_LENGTH = Region._meta.get_field("name").max_length or 200


class Readable(Protocol):
    """An open binary file: a file object, or an upload (django.core.files.uploadedfile.UploadedFile)."""

    def read(self, size: int = -1, /) -> bytes: ...


BoundarySource = Path | bytes | str | Readable | Mapping[str, Any]


class BoundaryImportError(Exception):
    """The file cannot be imported; nothing was written. ``messages`` lists every problem."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True)
class BoundaryImportResult:
    """What an import did (or, for a dry run, would do)."""

    created: int
    updated: int
    unchanged: int
    repaired: int
    dry_run: bool

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class _Place:
    """One checked feature, ready to be compared with the database and written."""

    index: int
    code: str
    name: str
    parent_code: str | None
    boundary: dict[str, Any]
    outline: dict[str, Any] | None
    repaired: bool


# --- Reading and checking the file (pure) ------------------------------------------------


def _too_large(size: int, max_bytes: int) -> BoundaryImportError:
    return BoundaryImportError(
        [
            _("The file is %(size)s bytes; at most %(max)s bytes can be imported (EWERS_BOUNDARY_MAX_BYTES).")
            % {"size": f"{size:,}", "max": f"{max_bytes:,}"}
        ]
    )


def _load(source: BoundarySource, *, max_bytes: int) -> Any:
    """The parsed JSON of ``source``: a path, the text (bytes or str), an open binary file, or parsed JSON."""
    if isinstance(source, Mapping):
        return source
    if isinstance(source, Path):
        try:
            size = source.stat().st_size
            if size > max_bytes:
                raise _too_large(size, max_bytes)
            data = source.read_bytes()
        except OSError as exc:
            raise BoundaryImportError(
                [_("Cannot read %(path)s: %(error)s.") % {"path": source, "error": exc.strerror or exc}]
            ) from None
    elif isinstance(source, str):
        data = source.encode()
    elif isinstance(source, bytes):
        data = source
    else:
        # One byte more than allowed is enough to know the file is too large.
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    if not data.strip():
        raise BoundaryImportError([_("The file is empty.")])
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise BoundaryImportError(
            [
                _("The file is not JSON: %(error)s at line %(line)d, column %(column)d.")
                % {"error": exc.msg, "line": exc.lineno, "column": exc.colno}
            ]
        ) from None
    except (UnicodeDecodeError, RecursionError, ValueError):
        raise BoundaryImportError([_("The file is not JSON text in UTF-8.")]) from None


def _features(collection: Any) -> list[Any]:
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        kind = collection.get("type") if isinstance(collection, dict) else type(collection).__name__
        raise BoundaryImportError(
            [_("The file must be a GeoJSON FeatureCollection, not %(kind)s.") % {"kind": repr(kind)}]
        )
    features = collection.get("features")
    if not isinstance(features, list):
        raise BoundaryImportError([_("The FeatureCollection has no “features” list.")])
    if not features:
        raise BoundaryImportError([_("The FeatureCollection has no features.")])
    return features


def _property_text(properties: Mapping[str, Any], name: str) -> str | None:
    """A property as text: strings stripped, whole numbers written out (codes are often numbers)."""
    value = properties.get(name)
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return None


def _text_problem(value: str, what: str) -> str | None:
    """Control characters (NUL among them) and lone surrogates: PostgreSQL cannot store
    NUL nor text that is not valid UTF-8, and the others have no place in a name."""
    for char in value:
        if unicodedata.category(char) in {"Cc", "Cs"}:
            return _("the %(what)s holds a control character or an unpaired surrogate (%(char)s)") % {
                "what": what,
                "char": ascii(char),
            }
    return None


def _code_problem(code: str) -> str | None:
    if problem := _text_problem(code, _("code")):
        return problem
    if len(code) > CODE_MAX_LENGTH:
        return _("the code is longer than %(max)d characters") % {"max": CODE_MAX_LENGTH}
    try:
        code_validator(code)
    except ValidationError as exc:
        return _("the code %(code)s is not valid: %(reason)s") % {
            "code": repr(code),
            "reason": " ".join(str(m) for m in exc.messages).rstrip("."),
        }
    return None


def _geometry_check(geometry: Any, *, repair: bool) -> tuple[dict[str, Any], shapely.Geometry, bool]:
    """The boundary to store, its shape and whether it was repaired; ValueError with the reason if refused."""
    if geometry is None:
        raise ValueError(_("it has no geometry"))
    try:
        validate_boundary(geometry)
    except ValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from None
    boundary = {"type": geometry["type"], "coordinates": geometry["coordinates"]}
    try:
        geometry_shape, reason = boundary_validity(boundary)
    except (GEOSException, ValueError, TypeError, OverflowError) as exc:
        raise ValueError(_("the geometry cannot be read: %(error)s") % {"error": exc}) from None
    if reason is None:
        return boundary, geometry_shape, False
    if not repair:
        raise ValueError(
            _("the geometry is not valid (%(reason)s); fix it, or import with repair on") % {"reason": reason}
        )
    repaired = polygonal(shapely.make_valid(geometry_shape))
    if repaired is None:
        raise ValueError(_("the geometry is not valid (%(reason)s) and has no area to keep") % {"reason": reason})
    return geometry_json(repaired, decimals=None), repaired, True


def _check_features(
    features: list[Any],
    *,
    level: str,
    code_property: str,
    name_property: str,
    parent_property: str | None,
    repair: bool,
) -> tuple[list[_Place], list[tuple[int, str]]]:
    """Every feature checked on its own and against the others; returns the places and the problems."""
    places: list[_Place] = []
    problems: list[tuple[int, str]] = []
    first_index: dict[str, int] = {}
    for index, feature in enumerate(features):
        where = f"features[{index}]"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append((index, _("%(where)s: not a GeoJSON Feature.") % {"where": where}))
            continue
        properties = feature.get("properties")
        if properties is None:
            properties = {}
        if not isinstance(properties, dict):
            problems.append((index, _("%(where)s: “properties” must be an object.") % {"where": where}))
            continue
        code = _property_text(properties, code_property)
        if code is not None:
            # A code that cannot be printed as it is (a NUL, a lone surrogate) is escaped.
            where = f"features[{index}] ({code if _text_problem(code, '') is None else ascii(code)})"
        feature_problems: list[str] = []
        if code is None:
            feature_problems.append(_("no code in property “%(name)s”") % {"name": code_property})
        else:
            problem = _code_problem(code)
            if problem:
                feature_problems.append(problem)
            elif code in first_index:
                feature_problems.append(
                    _("the code is also used by features[%(other)d]; codes must be unique")
                    % {"other": first_index[code]}
                )
            else:
                first_index[code] = index
        name = _property_text(properties, name_property)
        if name is None:
            feature_problems.append(_("no name in property “%(name)s”") % {"name": name_property})
        elif len(name) > NAME_MAX_LENGTH:
            feature_problems.append(_("the name is longer than %(max)d characters") % {"max": NAME_MAX_LENGTH})
        elif problem := _text_problem(name, _("name")):
            feature_problems.append(problem)
        parent_code = None
        if parent_property is not None:
            parent_code = _property_text(properties, parent_property)
            if parent_code is None:
                feature_problems.append(_("no parent code in property “%(name)s”") % {"name": parent_property})
            elif problem := _text_problem(parent_code, _("parent code")):
                feature_problems.append(problem)
        try:
            boundary, geometry, repaired = _geometry_check(feature.get("geometry"), repair=repair)
        except ValueError as exc:
            feature_problems.append(str(exc))
            boundary, geometry, repaired = {}, None, False
        if feature_problems or code is None or name is None or geometry is None:
            problems.extend((index, f"{where}: {problem.rstrip('.')}.") for problem in feature_problems)
            continue
        places.append(
            _Place(
                index=index,
                code=code,
                name=name,
                parent_code=parent_code,
                boundary=boundary,
                outline=geometry_outline(geometry, level=level, valid=True),
                repaired=repaired,
            )
        )
    return places, problems


# --- Against the database ---------------------------------------------------------------


def _regions_by_code(codes: Iterable[str]) -> dict[str, Region]:
    return {region.code: region for region in _regions_read(Region.objects.all(), "code", codes)}


def _check_places(
    places: list[_Place], *, level: str
) -> tuple[dict[str, Region], dict[str, Region], list[tuple[int, str]]]:
    """Existing places and parents, read in a few queries; problems of codes and parents."""
    existing = _regions_by_code(p.code for p in places)
    parents = _regions_by_code(p.parent_code for p in places if p.parent_code is not None)
    parent_level = PARENT_LEVEL[level]
    problems: list[tuple[int, str]] = []
    for place in places:
        where = f"features[{place.index}] ({place.code})"
        current = existing.get(place.code)
        if current is not None and current.level != level:
            message = _(
                "%(where)s: the code already belongs to a %(other)s, %(name)s; codes are unique across levels."
            ) % {"where": where, "other": current.level, "name": current.name}
            problems.append((place.index, message))
        if place.parent_code is None:
            continue
        parent = parents.get(place.parent_code)
        if parent is None:
            message = _("%(where)s: no place has the parent code %(parent)s; import its %(parent_level)s first.") % {
                "where": where,
                "parent": repr(place.parent_code),
                "parent_level": parent_level,
            }
            problems.append((place.index, message))
        elif parent.level != parent_level:
            message = _(
                "%(where)s: the parent %(parent)s is a %(found)s; a %(level)s must sit inside a %(expected)s."
            ) % {"where": where, "parent": parent.code, "found": parent.level, "level": level, "expected": parent_level}
            problems.append((place.index, message))
    return existing, parents, problems


def _change(place: _Place, current: Region | None, parent: Region | None) -> str:
    """'created', 'updated' (the place itself), 'outline' (only its outline) or 'unchanged'."""
    if current is None:
        return "created"
    if (
        current.name != place.name
        or current.parent_id != (parent.pk if parent is not None else None)
        or current.boundary != place.boundary
    ):
        return "updated"
    return "outline" if current.outline != place.outline else "unchanged"


def _refuse(problems: list[str]) -> BoundaryImportError:
    shown = problems[:MAX_MESSAGES]
    if len(problems) > MAX_MESSAGES:
        shown.append(_("… and %(count)d more problems.") % {"count": len(problems) - MAX_MESSAGES})
    shown.append(_("Nothing was imported."))
    return BoundaryImportError(shown)


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
) -> BoundaryImportResult:
    """Create or update the places of ``level`` described by a GeoJSON FeatureCollection.

    ``source`` is a ``Path``, the file's text (``bytes`` or ``str``), an open binary file
    (an upload) or the parsed JSON. Every feature needs a Polygon or MultiPolygon and the
    properties ``code_property`` and ``name_property``; below a country also
    ``parent_property``, the code of an existing place one level up. A geometry that is
    not valid (a ring crossing itself) is refused unless ``repair`` is on, when GEOS's
    ``make_valid`` mends it and its areas are kept. Any problem raises
    BoundaryImportError listing all of them, and nothing is written; a dry run checks
    everything and writes nothing either way. ``max_bytes`` (default
    EWERS_BOUNDARY_MAX_BYTES) caps the file's size.
    """
    if level not in RegionLevel.values:
        raise BoundaryImportError([_("Unknown level %(level)s.") % {"level": repr(level)}])
    if not code_property or not name_property:
        raise BoundaryImportError([_("Name the properties that hold the code and the name.")])
    if PARENT_LEVEL[level] is None:
        parent_property = None  # a country has no parent
    elif not parent_property:
        raise BoundaryImportError(
            [
                _("A %(level)s sits inside a %(parent)s: name the property that holds the parent's code.")
                % {"level": level, "parent": PARENT_LEVEL[level]}
            ]
        )
    features = _features(_load(source, max_bytes=max_bytes or settings.EWERS_BOUNDARY_MAX_BYTES))
    places, problems = _check_features(
        features,
        level=level,
        code_property=code_property,
        name_property=name_property,
        parent_property=parent_property,
        repair=repair,
    )
    existing, parents, db_problems = _check_places(places, level=level)
    if problems or db_problems:
        # In file order, whichever check found them.
        raise _refuse([text for _index, text in sorted(problems + db_problems, key=lambda p: p[0])])
    changes = [
        (place, _change(place, existing.get(place.code), parents.get(place.parent_code or ""))) for place in places
    ]
    counts = {"created": 0, "updated": 0, "outline": 0, "unchanged": 0}
    for _place, change in changes:
        counts[change] += 1
    result = BoundaryImportResult(
        created=counts["created"],
        updated=counts["updated"] + counts["outline"],
        unchanged=counts["unchanged"],
        repaired=sum(place.repaired for place in places),
        dry_run=dry_run,
    )
    if not dry_run:
        _write([place for place, change in changes if change != "unchanged"], parents=parents, level=level)
    return result


def _write(places: list[_Place], *, parents: dict[str, Region], level: str) -> None:
    """Write the new and changed places in one transaction (regions_upsert_many's)."""
    if not places:
        return
    rows = [
        RegionRow(
            code=place.code,
            name=place.name,
            parent=parents.get(place.parent_code or ""),
            boundary=place.boundary,
            outline=place.outline,
        )
        for place in places
    ]
    try:
        regions_upsert_many(level=level, rows=rows)
    except ValidationError as exc:
        # Checked above; a rule of the writer's own (or a place changed meanwhile) still
        # refuses the whole file, and the writer has written nothing.
        index = {place.code: place.index for place in places}
        by_code = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        problems = sorted(
            (index.get(code, -1), f"features[{index[code]}] ({code}): " if code in index else "", " ".join(messages))
            for code, messages in by_code.items()
        )
        raise _refuse([f"{where}{text}" for _index, where, text in problems]) from None
