"""The translation catalogues under ``locale/``: compiled with polib (so a machine without
GNU gettext can run EWERS), filled from a translator's JSON files, and checked for
entries still to translate (README "Languages")."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polib

HEADER = {
    "Project-Id-Version": "EWERS",
    "Language-Team": "Malay",
    "Language": "ms",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=1; plural=0;",
}


def catalogue_paths(locale_dir: Path) -> list[Path]:
    """Every ``.po`` catalogue under ``locale_dir`` (one per language and domain)."""
    return sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))


def mo_path(po: Path) -> Path:
    return po.with_suffix(".mo")


def catalogue_compile(po: Path) -> Path:
    """Write the ``.mo`` beside ``po``. Fuzzy entries are left out, as msgfmt does, so an
    unchecked translation never shows."""
    catalogue = polib.pofile(str(po))
    for entry in catalogue.fuzzy_entries():
        catalogue.remove(entry)
    target = mo_path(po)
    # Written aside and renamed: a process loading the catalogue meanwhile (a parallel test
    # worker, a running server) reads the old file or the new one, never half of one.
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    catalogue.save_as_mofile(str(partial))
    os.replace(partial, target)
    return target


def catalogues_compile(locale_dir: Path, *, only_stale: bool = False) -> list[Path]:
    """Compile each catalogue (``only_stale``: those whose ``.mo`` is missing or older)."""
    done = []
    for po in catalogue_paths(locale_dir):
        mo = mo_path(po)
        if only_stale and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        done.append(catalogue_compile(po))
    return done


def entry_key(msgid: str, msgctxt: str | None) -> tuple[str, str]:
    return (msgctxt or "", msgid)


@dataclass(frozen=True)
class FillResult:
    filled: int
    unknown: int
    skipped_empty: int


def _translations(files: Iterable[Path]) -> Iterator[dict[str, Any]]:
    for path in files:
        rows = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(rows, list):
            raise ValueError(f"{path}: expected a list of entries")
        yield from (row for row in rows if isinstance(row, dict))


def catalogue_fill(po: Path, files: Iterable[Path], *, overwrite: bool = False) -> FillResult:
    """Copy translations from JSON lists of ``{"msgid", "msgctxt"?, "msgstr" or
    "msgstr_plural": [...]}`` into ``po``, matched by context and msgid (not by order).

    An entry the catalogue does not hold is counted, not added (the source text moved on);
    an empty translation is skipped, so nothing is marked translated that is not. A filled
    entry loses its fuzzy flag: the translation was written for exactly this msgid.
    """
    catalogue = polib.pofile(str(po), wrapwidth=79)
    by_key = {entry_key(e.msgid, e.msgctxt): e for e in catalogue if not e.obsolete}
    filled = unknown = empty = 0
    for row in _translations(files):
        entry = by_key.get(entry_key(str(row.get("msgid", "")), row.get("msgctxt")))
        if entry is None:
            unknown += 1
            continue
        if entry.translated() and not entry.fuzzy and not overwrite:
            continue
        if entry.msgid_plural:
            forms = [str(f) for f in row.get("msgstr_plural") or ([row["msgstr"]] if row.get("msgstr") else [])]
            if not forms or not all(f.strip() for f in forms):
                empty += 1
                continue
            entry.msgstr_plural = dict(enumerate(forms))
        else:
            text = str(row.get("msgstr") or "")
            if not text.strip():
                empty += 1
                continue
            entry.msgstr = text
        if entry.fuzzy:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
        filled += 1
    catalogue_header_set(catalogue)
    catalogue.save(str(po))
    catalogue_rewrap(po)
    return FillResult(filled=filled, unknown=unknown, skipped_empty=empty)


def catalogue_rewrap(po: Path) -> None:
    """Wrap the lines as gettext does (msgcat), where it is installed: polib breaks long
    lines elsewhere, and every makemessages after a fill would show them as changes."""
    msgcat = shutil.which("msgcat")
    if msgcat is not None:
        subprocess.run([msgcat, "--output-file", str(po), str(po)], check=True, capture_output=True)  # noqa: S603  (our own file, gettext's msgcat)


def catalogue_header_set(catalogue: polib.POFile) -> None:
    """makemessages writes a placeholder header marked fuzzy: give it the real values."""
    catalogue.metadata.update(HEADER)
    catalogue.metadata_is_fuzzy = False


def catalogue_to_translate(po: Path) -> list[polib.POEntry]:
    """The entries of ``po`` a user would see in English: untranslated or fuzzy."""
    catalogue = polib.pofile(str(po))
    return [e for e in catalogue if not e.obsolete and (e.fuzzy or not e.translated())]


def catalogue_msgids(po: Path) -> set[tuple[str, str]]:
    """The (context, msgid) of every live entry."""
    return {entry_key(e.msgid, e.msgctxt) for e in polib.pofile(str(po)) if not e.obsolete}
