"""The Malay catalogue (README "Languages"): every EWERS string in it, each translated and
none fuzzy, and the compiled file in step with it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

from ewers.catalogues import catalogue_compile, catalogue_fill, catalogue_msgids, catalogue_to_translate

LOCALE = Path(settings.BASE_DIR) / "locale"
MALAY = LOCALE / "ms" / "LC_MESSAGES" / "django.po"
# What makemessages reads: the apps, templates and config; never the virtualenv or tests.
IGNORED = [".venv", "tests", "bench", "var", "test-artifacts", "node_modules"]


def test_the_malay_catalogue_has_no_untranslated_or_fuzzy_entry():
    left = catalogue_to_translate(MALAY)
    shown = "\n".join(f"  {'fuzzy' if e.fuzzy else 'untranslated'}: {e.msgid[:70]!r}" for e in left[:25])
    assert not left, (
        f"{len(left)} Malay entries to translate in {MALAY.relative_to(settings.BASE_DIR)} "
        f"(README 'Languages'):\n{shown}"
    )


@pytest.mark.skipif(
    not shutil.which("xgettext"), reason="needs GNU gettext's xgettext (apt-get install gettext); CI has it"
)
def test_every_string_of_the_code_and_templates_is_in_the_catalogue(tmp_path, monkeypatch):
    """makemessages run over a copy of the sources must find no msgid the catalogue lacks
    (a string wrapped since the last makemessages) and none it holds no longer."""
    source = Path(settings.BASE_DIR)
    copy = tmp_path / "src"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns(*IGNORED, "*.mo", "__pycache__", ".git"))
    monkeypatch.chdir(copy)
    monkeypatch.setattr(settings, "LOCALE_PATHS", [copy / "locale"])
    call_command("makemessages", locale=["ms"], ignore_patterns=IGNORED, no_location=True, verbosity=0)
    found = catalogue_msgids(copy / "locale" / "ms" / "LC_MESSAGES" / "django.po")
    kept = catalogue_msgids(MALAY)
    missing, stale = sorted(found - kept), sorted(kept - found)
    assert not missing and not stale, (
        "The catalogue is behind the code: run `manage.py makemessages -l ms --no-location "
        "--ignore=.venv --ignore=tests --ignore=bench`, then translate (README 'Languages').\n"
        f"not in the catalogue: {[m for _c, m in missing][:20]}\nno longer in the code: {[m for _c, m in stale][:20]}"
    )


def test_the_compiled_catalogue_holds_every_translated_entry(tmp_path):
    po = tmp_path / "django.po"
    shutil.copy(MALAY, po)
    mo = polib.mofile(str(catalogue_compile(po)))
    translated = {e.msgid for e in polib.pofile(str(po)).translated_entries()}
    assert {e.msgid for e in mo if e.msgid} == translated


def test_it_fills_by_msgid_and_marks_nothing_translated_that_is_not(tmp_path):
    po = tmp_path / "django.po"
    catalogue = polib.POFile()
    catalogue.append(polib.POEntry(msgid="Alert", msgstr=""))
    catalogue.append(polib.POEntry(msgid="Report", msgstr="Laporan lama", flags=["fuzzy"]))
    catalogue.append(polib.POEntry(msgid="Sign out", msgstr=""))
    catalogue.append(polib.POEntry(msgid="Spring", msgctxt="season", msgstr=""))
    catalogue.append(polib.POEntry(msgid="%(n)s alert", msgid_plural="%(n)s alerts", msgstr_plural={0: ""}))
    catalogue.save(str(po))
    translations = tmp_path / "ms-00.json"
    translations.write_text(
        '[{"msgid": "Report", "msgstr": "Laporan"}, {"msgid": "Alert", "msgstr": "Amaran"},'
        ' {"msgid": "Sign out", "msgstr": "  "}, {"msgid": "Spring", "msgstr": "Spring"},'
        ' {"msgid": "Spring", "msgctxt": "season", "msgstr": "Musim bunga"},'
        ' {"msgid": "%(n)s alert", "msgstr_plural": ["%(n)s amaran"]}, {"msgid": "Gone", "msgstr": "Hilang"}]',
        encoding="utf-8",
    )

    result = catalogue_fill(po, [translations])

    filled = {(e.msgctxt, e.msgid): e for e in polib.pofile(str(po))}
    assert filled[(None, "Alert")].msgstr == "Amaran"
    assert filled[(None, "Report")].msgstr == "Laporan" and not filled[(None, "Report")].fuzzy
    assert filled[(None, "Sign out")].msgstr == ""  # blank is not a translation
    assert filled[("season", "Spring")].msgstr == "Musim bunga"
    assert filled[(None, "%(n)s alert")].msgstr_plural == {0: "%(n)s amaran"}
    assert (result.filled, result.unknown, result.skipped_empty) == (4, 2, 1)
    assert [e.msgid for e in catalogue_to_translate(po)] == ["Sign out"]


PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfr]|%[sdf]|\{\{ *(\w+) *\}\}|\{(\w*)\}")


def _placeholders(text: str) -> list[str]:
    return sorted("".join(m.groups(default="")) or m.group(0) for m in PLACEHOLDER.finditer(text))


def test_every_malay_translation_keeps_its_placeholders():
    """A placeholder lost or misspelt would show raw or raise at run time (what msgfmt -c
    checks, without needing gettext)."""
    wrong = []
    for entry in polib.pofile(str(MALAY)).translated_entries():
        forms = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        wanted = _placeholders(entry.msgid_plural or entry.msgid)
        wrong += [(entry.msgid, form) for form in forms if _placeholders(form) != wanted]
    assert not wrong, wrong[:10]
