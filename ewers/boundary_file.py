"""Reading and checking a boundary file (pure: no database): the GeoJSON FeatureCollection
parsed once and hashed, every feature checked on its own and against the others.

ewers.boundaries takes the checked places on to the database (docs/boundaries.md).
"""

from __future__ import annotations

import hashlib
import json
import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.errors import GEOSException

from ewers.geojson import validate_boundary
from ewers.geometry import boundary_validity, geometry_json, geometry_outline, polygonal
from ewers.models import Region, code_validator

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


@dataclass
class FilePlace:
    """One checked feature, ready to be compared with the database and written.

    ``parent_ref`` is what the parent property holds: the parent's code, or its name
    (``--parent-match name``); ``parent_name`` the parent's name for ``--dissolve-parents``.
    """

    index: int
    code: str
    name: str
    parent_ref: str | None
    boundary: dict[str, Any]
    outline: dict[str, Any] | None
    repaired: bool
    shape: Any  # the shapely geometry of the boundary
    parent_name: str | None = None

    @property
    def where(self) -> str:
        return f"features[{self.index}] ({self.code})"


@dataclass(frozen=True)
class FileOptions:
    """How to read each feature: the property names, and whether to mend invalid polygons."""

    level: str
    code_property: str
    name_property: str
    parent_property: str | None
    parent_name_property: str | None = None
    repair: bool = False


def refuse(problems: Sequence[str]) -> BoundaryImportError:
    """The error for a refused file: the first MAX_MESSAGES problems, a count of the rest."""
    shown = list(problems[:MAX_MESSAGES])
    if len(problems) > MAX_MESSAGES:
        shown.append(_("… and %(count)d more problems.") % {"count": len(problems) - MAX_MESSAGES})
    shown.append(_("Nothing was imported."))
    return BoundaryImportError(shown)


def _too_large(size: int, max_bytes: int) -> BoundaryImportError:
    return BoundaryImportError(
        [
            _("The file is %(size)s bytes; at most %(max)s bytes can be imported (EWERS_BOUNDARY_MAX_BYTES).")
            % {"size": f"{size:,}", "max": f"{max_bytes:,}"}
        ]
    )


def load(source: BoundarySource, *, max_bytes: int) -> tuple[Any, str]:
    """The parsed JSON of ``source`` and the SHA-256 of its bytes: a path, the text (bytes or
    str), an open binary file, or parsed JSON (hashed as its canonical JSON text)."""
    if isinstance(source, Mapping):
        canonical = json.dumps(source, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return source, hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
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
        return json.loads(data), hashlib.sha256(data).hexdigest()
    except json.JSONDecodeError as exc:
        raise BoundaryImportError(
            [
                _("The file is not JSON: %(error)s at line %(line)d, column %(column)d.")
                % {"error": exc.msg, "line": exc.lineno, "column": exc.colno}
            ]
        ) from None
    except (UnicodeDecodeError, RecursionError, ValueError):
        raise BoundaryImportError([_("The file is not JSON text in UTF-8.")]) from None


def features_of(collection: Any) -> list[Any]:
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


def _feature_texts(
    properties: dict[str, Any], options: FileOptions, problems: list[str]
) -> tuple[str | None, str | None, str | None, str | None]:
    """The code, name, parent reference and parent name of a feature; problems appended."""
    code = _property_text(properties, options.code_property)
    if code is None:
        problems.append(_("no code in property “%(name)s”") % {"name": options.code_property})
    elif problem := _code_problem(code):
        problems.append(problem)
    name = _property_text(properties, options.name_property)
    if name is None:
        problems.append(_("no name in property “%(name)s”") % {"name": options.name_property})
    elif len(name) > NAME_MAX_LENGTH:
        problems.append(_("the name is longer than %(max)d characters") % {"max": NAME_MAX_LENGTH})
    elif problem := _text_problem(name, _("name")):
        problems.append(problem)
    parent_ref = parent_name = None
    if options.parent_property is not None:
        parent_ref = _property_text(properties, options.parent_property)
        if parent_ref is None:
            problems.append(_("no parent code in property “%(name)s”") % {"name": options.parent_property})
        elif problem := _text_problem(parent_ref, _("parent")):
            problems.append(problem)
    if options.parent_name_property is not None:
        parent_name = _property_text(properties, options.parent_name_property)
        if parent_name is not None and (problem := _text_problem(parent_name, _("parent name"))):
            problems.append(problem)
    return code, name, parent_ref, parent_name


def _check_feature(index: int, feature: Any, options: FileOptions) -> tuple[FilePlace | None, list[str]]:
    """One feature checked on its own: the place, or the problems (each prefixed with where it is)."""
    where = f"features[{index}]"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None, [_("%(where)s: not a GeoJSON Feature.") % {"where": where}]
    properties = feature.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        return None, [_("%(where)s: “properties” must be an object.") % {"where": where}]
    problems: list[str] = []
    code, name, parent_ref, parent_name = _feature_texts(properties, options, problems)
    if code is not None:
        # A code that cannot be printed as it is (a NUL, a lone surrogate) is escaped.
        where = f"features[{index}] ({code if _text_problem(code, '') is None else ascii(code)})"
    try:
        boundary, geometry, repaired = _geometry_check(feature.get("geometry"), repair=options.repair)
    except ValueError as exc:
        problems.append(str(exc))
        boundary, geometry, repaired = {}, None, False
    if problems or code is None or name is None or geometry is None:
        return None, [f"{where}: {problem.rstrip('.')}." for problem in problems]
    place = FilePlace(
        index=index,
        code=code,
        name=name,
        parent_ref=parent_ref,
        boundary=boundary,
        outline=geometry_outline(geometry, level=options.level, valid=True),
        repaired=repaired,
        shape=geometry,
        parent_name=parent_name,
    )
    return place, []


def check_features(features: list[Any], options: FileOptions) -> tuple[list[FilePlace], list[tuple[int, str]]]:
    """Every feature checked on its own and against the others; returns the places and the problems."""
    places: list[FilePlace] = []
    problems: list[tuple[int, str]] = []
    first_index: dict[str, int] = {}
    for index, feature in enumerate(features):
        place, feature_problems = _check_feature(index, feature, options)
        problems.extend((index, problem) for problem in feature_problems)
        if place is None:
            continue
        if place.code in first_index:
            message = _("%(where)s: the code is also used by features[%(other)d]; codes must be unique.") % {
                "where": place.where,
                "other": first_index[place.code],
            }
            problems.append((index, message))
            continue
        first_index[place.code] = index
        places.append(place)
    return places, problems
