"""Organisations and their users from CSV files: a deployment's first directory.

Two files, one for organisations and one for users (docs/first-run.md gives the columns).
Every row is checked and written inside one transaction; a row with a problem is reported
by its line and column, and if any row has one the whole import is rolled back, so a bad
file never leaves half a directory behind. A dry run does everything and rolls it back.

Security rules:
- new users get no usable password: each sets one through "Forgotten your password?"
  (an e-mailed link), unless the operator gives one for a staging site; a password is
  checked by the password validators and never printed, logged or audited;
- an existing account is never changed here (role, organisation or password): a row that
  matches it exactly is "unchanged", any other is refused — changing accounts and their
  privileges is the admin site's job, where it is audited with who did it;
- nobody becomes a superuser from a file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from ewers.choices import RegionLevel, RiskLevel, Role, Sector
from ewers.models import Organisation, Region, Theme, User
from ewers.services.accounts import user_upsert
from ewers.services.places import organisation_upsert

ORGANISATION_COLUMNS = ("code", "name", "sector")
ORGANISATION_OPTIONAL = ("coverage", "mandate", "min_alert_level", "contact_email")
USER_COLUMNS = ("username", "organisation", "role")
USER_OPTIONAL = ("email", "first_name", "last_name")
# Codes in a list cell: "MY-01 MY-02" or "MY-01;MY-02"; "*" in mandate is every theme.
LIST_SEPARATORS = (";", ",")
ALL_THEMES = "*"


class DirectoryImportError(Exception):
    """The files cannot be imported; nothing was written. ``messages`` lists every problem."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


@dataclass
class DirectoryImportResult:
    """What an import did (or, for a dry run, would do)."""

    organisations_created: int = 0
    organisations_updated: int = 0
    organisations_unchanged: int = 0
    users_created: int = 0
    users_unchanged: int = 0
    # New users who have no usable password yet (none with a staging password).
    users_without_password: list[str] = field(default_factory=list)
    dry_run: bool = False


class _Rollback(Exception):
    pass


CsvSource = Path | bytes | str


def _rows(
    source: CsvSource, *, what: str, required: tuple[str, ...], optional: tuple[str, ...]
) -> Iterator[tuple[str, dict[str, str]]]:
    """Each row as (where, {column: stripped text}); DirectoryImportError for a bad file."""
    label = str(source) if isinstance(source, Path) else what
    if isinstance(source, Path):
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise DirectoryImportError(
                [_("Cannot read %(path)s: %(error)s.") % {"path": source, "error": exc.strerror or exc}]
            ) from None
    else:
        data = source.encode() if isinstance(source, str) else source
    if len(data) > settings.EWERS_IMPORT_MAX_BYTES:
        raise DirectoryImportError(
            [
                _("%(file)s is larger than %(max)s bytes (EWERS_IMPORT_MAX_BYTES).")
                % {"file": label, "max": f"{settings.EWERS_IMPORT_MAX_BYTES:,}"}
            ]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DirectoryImportError([_("%(file)s is not UTF-8 text.") % {"file": label}]) from None
    if "\x00" in text:
        raise DirectoryImportError([_("%(file)s holds a NUL character.") % {"file": label}])
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in required if name not in header]
    if missing:
        raise DirectoryImportError(
            [
                _("%(file)s: the header lacks the columns %(missing)s (expected %(columns)s).")
                % {"file": label, "missing": ", ".join(missing), "columns": ", ".join(required + optional)}
            ]
        )
    unknown = [name for name in header if name not in required + optional]
    if unknown:
        raise DirectoryImportError(
            [
                _("%(file)s: unknown columns %(unknown)s (expected %(columns)s).")
                % {"file": label, "unknown": ", ".join(unknown), "columns": ", ".join(required + optional)}
            ]
        )
    reader.fieldnames = header
    count = 0
    try:
        for row in reader:
            count += 1
            if count > settings.EWERS_IMPORT_MAX_ROWS:
                raise DirectoryImportError(
                    [
                        _("%(file)s has more than %(max)d rows (EWERS_IMPORT_MAX_ROWS).")
                        % {"file": label, "max": settings.EWERS_IMPORT_MAX_ROWS}
                    ]
                )
            if None in row:
                yield f"{label}, line {reader.line_num}", {"__extra__": "1"}
                continue
            yield f"{label}, line {reader.line_num}", {k: (v or "").strip() for k, v in row.items()}
    except csv.Error as exc:
        raise DirectoryImportError(
            [_("%(file)s, line %(line)d: %(error)s") % {"file": label, "line": reader.line_num, "error": exc}]
        ) from None


def _codes(cell: str) -> list[str]:
    for separator in LIST_SEPARATORS:
        cell = cell.replace(separator, " ")
    return [code for code in cell.split() if code]


def _coverage(tokens: list[str]) -> tuple[list[Region], list[str]]:
    """The places a coverage cell names. Codes are unique within a country only, so a code
    that names places of several countries must be written COUNTRY:CODE (``MY:01``)."""
    found: list[Region] = []
    unknown: list[str] = []
    ambiguous: list[str] = []
    for token in tokens:
        country_code, _sep, code = token.rpartition(":")
        places = Region.objects.filter(code=code)
        if country_code:
            places = places.filter(Q(country__code=country_code) | Q(level=RegionLevel.COUNTRY, code=country_code))
        matches = list(places[:2])
        if not matches:
            unknown.append(token)
        elif len(matches) > 1:
            ambiguous.append(token)
        else:
            found.append(matches[0])
    problems = []
    if unknown:
        problems.append(_("no place has the code %(codes)s") % {"codes": ", ".join(sorted(unknown))})
    if ambiguous:
        problems.append(
            _("%(codes)s name places in several countries; write COUNTRY:CODE, e.g. MY:01")
            % {"codes": ", ".join(sorted(ambiguous))}
        )
    return found, problems


def _choice_problem(value: str, choices: list[str]) -> str:
    return _("%(value)s is not one of %(choices)s") % {"value": repr(value), "choices": ", ".join(choices)}


def _organisation_row(row: dict[str, str], problems: list[str], where: str) -> dict[str, object] | None:
    """The checked arguments of organisation_upsert for one row, or None (problems added)."""
    before = len(problems)
    code, name, sector = row.get("code", ""), row.get("name", ""), row.get("sector", "")
    if not code:
        problems.append(f"{where}: code: " + _("required"))
    if not name:
        problems.append(f"{where}: name: " + _("required"))
    if sector not in Sector.values:
        problems.append(f"{where}: sector: " + _choice_problem(sector, list(Sector.values)))
    level = row.get("min_alert_level") or RiskLevel.HIGH
    allowed_levels = list(RiskLevel.at_least(RiskLevel.MODERATE))
    if level not in allowed_levels:
        problems.append(f"{where}: min_alert_level: " + _choice_problem(level, allowed_levels))
    email = row.get("contact_email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"{where}: contact_email: " + _("%(value)s is not an e-mail address") % {"value": email})
    coverage, coverage_problems = _coverage(_codes(row.get("coverage", "")))
    problems.extend(f"{where}: coverage: {problem}" for problem in coverage_problems)
    mandate_cell = row.get("mandate", "")
    if mandate_cell.strip() == ALL_THEMES:
        mandate = list(Theme.objects.all())
    else:
        mandate_codes = _codes(mandate_cell)
        mandate = list(Theme.objects.filter(code__in=mandate_codes))
        unknown = sorted(set(mandate_codes) - {theme.code for theme in mandate})
        if unknown:
            problems.append(
                f"{where}: mandate: " + _("no theme has the code %(codes)s") % {"codes": ", ".join(unknown)}
            )
    if len(problems) > before:
        return None
    return {
        "code": code,
        "name": name,
        "sector": sector,
        "coverage": coverage,
        "mandate": mandate,
        "min_alert_level": level,
        "contact_email": email,
    }


def _organisation_state(organisation: Organisation | None) -> tuple[object, ...] | None:
    if organisation is None:
        return None
    return (
        organisation.name,
        organisation.sector,
        organisation.min_alert_level,
        organisation.contact_email,
        organisation.shown_to_co_responders,
        sorted(organisation.coverage.values_list("pk", flat=True)),
        sorted(organisation.mandate.values_list("pk", flat=True)),
    )


def _write_organisations(source: CsvSource, result: DirectoryImportResult, problems: list[str]) -> set[str]:
    """Write each good row; returns the codes of the rows refused (their users are not blamed twice)."""
    seen: dict[str, str] = {}
    refused: set[str] = set()
    for where, row in _rows(
        source, what="organisations", required=ORGANISATION_COLUMNS, optional=ORGANISATION_OPTIONAL
    ):
        if "__extra__" in row:
            problems.append(f"{where}: " + _("more cells than columns"))
            continue
        code = row.get("code", "")
        if code in seen:
            problems.append(f"{where}: code: " + _("also on %(other)s; codes must be unique") % {"other": seen[code]})
            continue
        seen[code] = where
        values = _organisation_row(row, problems, where)
        if values is None:
            refused.add(code)
            continue
        existing = Organisation.objects.filter(code=code).first()
        before = _organisation_state(existing)
        if existing is not None:
            # What the file does not say stays as an administrator set it.
            values["shown_to_co_responders"] = existing.shown_to_co_responders
            if not row.get("min_alert_level"):
                values["min_alert_level"] = existing.min_alert_level
        try:
            with transaction.atomic():
                organisation = organisation_upsert(**values)  # type: ignore[arg-type]
        except ValidationError as exc:
            problems.extend(f"{where}: {message}" for message in _messages(exc))
            refused.add(code)
            continue
        after = _organisation_state(organisation)
        if before is None:
            result.organisations_created += 1
        elif before == after:
            result.organisations_unchanged += 1
        else:
            result.organisations_updated += 1
    return refused


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{key}: {' '.join(texts)}" for key, texts in exc.message_dict.items()]
    return list(exc.messages)


def _write_users(
    source: CsvSource,
    result: DirectoryImportResult,
    problems: list[str],
    *,
    password: str | None,
    refused_organisations: set[str],
) -> None:
    seen: dict[str, str] = {}
    for where, row in _rows(source, what="users", required=USER_COLUMNS, optional=USER_OPTIONAL):
        if "__extra__" in row:
            problems.append(f"{where}: " + _("more cells than columns"))
            continue
        before = len(problems)
        username, role, org_code = row.get("username", ""), row.get("role", ""), row.get("organisation", "")
        if not username:
            problems.append(f"{where}: username: " + _("required"))
        elif username in seen:
            problems.append(
                f"{where}: username: " + _("also on %(other)s; usernames must be unique") % {"other": seen[username]}
            )
            continue
        seen[username] = where
        if role not in Role.values:
            problems.append(f"{where}: role: " + _choice_problem(role, list(Role.values)))
        organisation = Organisation.objects.filter(code=org_code).first() if org_code else None
        if org_code in refused_organisations:
            problems.append(
                f"{where}: organisation: "
                + _("%(code)s was refused in the organisations file") % {"code": repr(org_code)}
            )
            continue
        if organisation is None:
            problems.append(
                f"{where}: organisation: " + _("no organisation has the code %(code)s") % {"code": repr(org_code)}
            )
        email = row.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                problems.append(f"{where}: email: " + _("%(value)s is not an e-mail address") % {"value": email})
        if len(problems) > before or organisation is None:
            continue
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            if existing.organisation_id == organisation.pk and existing.role == role and not existing.is_superuser:
                result.users_unchanged += 1
            else:
                problems.append(
                    f"{where}: username: "
                    + _("%(username)s exists already with another role or organisation; change it in the admin site")
                    % {"username": username}
                )
            continue
        candidate = User(username=username, email=email, first_name=row.get("first_name", ""))
        if password is not None:
            try:
                validate_password(password, candidate)
            except ValidationError as exc:
                # The validators' messages describe the password's weakness, never the password.
                problems.append(f"{where}: password: " + " ".join(exc.messages))
                continue
        try:
            with transaction.atomic():
                user_upsert(
                    username=username,
                    organisation=organisation,
                    role=role,
                    password=password,
                    email=email,
                    first_name=row.get("first_name", ""),
                    last_name=row.get("last_name", ""),
                )
        except ValidationError as exc:
            problems.extend(f"{where}: {message}" for message in _messages(exc))
            continue
        result.users_created += 1
        if password is None:
            result.users_without_password.append(username)


def directory_import(
    *,
    organisations: CsvSource | None = None,
    users: CsvSource | None = None,
    password: str | None = None,
    dry_run: bool = False,
) -> DirectoryImportResult:
    """Create organisations, then users, from CSV files (a ``Path`` or the text); by code and username.

    Organisations are created or updated (coverage and mandate set to the row's); users
    are created with no usable password, or with ``password`` (staging only). Any
    problem raises DirectoryImportError listing every row's, and nothing is written.
    """
    result = DirectoryImportResult(dry_run=dry_run)
    problems: list[str] = []
    try:
        with transaction.atomic():
            refused: set[str] = set()
            if organisations is not None:
                refused = _write_organisations(organisations, result, problems)
            if users is not None:
                _write_users(users, result, problems, password=password, refused_organisations=refused)
            if problems:
                raise DirectoryImportError([*problems, _("Nothing was imported.")])
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return result
