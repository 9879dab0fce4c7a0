"""Organisations and users from CSV files (ewers/services/directory.py): each bad row
reported by its line and column, nothing saved from a file with any, no usable password
unless a staging one is given, existing accounts never changed."""

from __future__ import annotations

import pytest

from ewers.choices import RegionLevel, Role
from ewers.models import Organisation, User
from ewers.services import DirectoryImportError, directory_import, region_upsert
from tests import factories

pytestmark = pytest.mark.django_db

ORGANISATIONS = """code,name,sector,coverage,mandate,min_alert_level,contact_email
t-desk,T Coordination Desk,government,T,*,moderate,desk@example.org
t-cso,T Peace Network,cso,T-1;T-1-1,tension,,
"""
USERS = """username,organisation,role,email,first_name,last_name
t.coord,t-desk,coordinator,coord@example.org,Farid,Ismail
t.cso,t-cso,responder,cso@example.org,Siti,Hassan
"""


@pytest.fixture
def tree(db):
    places = factories.make_tree("T")
    factories.make_theme("tension")
    factories.make_theme("weapons")
    return places


def directory() -> list[object]:
    return [
        *Organisation.objects.order_by("code").values_list("code", "name", "sector", "min_alert_level"),
        *User.objects.order_by("username").values_list("username", "organisation__code", "role", "email"),
    ]


def problems(**kwargs) -> list[str]:
    with pytest.raises(DirectoryImportError) as refused:
        directory_import(**kwargs)
    assert refused.value.messages[-1] == "Nothing was imported."
    return refused.value.messages[:-1]


def test_it_creates_organisations_and_users_without_usable_passwords(tree):
    result = directory_import(organisations=ORGANISATIONS, users=USERS)
    assert (result.organisations_created, result.users_created) == (2, 2)
    assert result.users_without_password == ["t.coord", "t.cso"]
    desk = Organisation.objects.get(code="t-desk")
    assert sorted(desk.mandate.values_list("code", flat=True)) == ["tension", "weapons"]
    assert list(desk.coverage.values_list("code", flat=True)) == ["T"]
    cso = Organisation.objects.get(code="t-cso")
    assert (cso.min_alert_level, sorted(cso.coverage.values_list("code", flat=True))) == ("high", ["T-1", "T-1-1"])
    coordinator = User.objects.get(username="t.coord")
    assert (coordinator.role, coordinator.organisation, coordinator.is_staff) == (Role.COORDINATOR, desk, False)
    assert not coordinator.has_usable_password()


def test_a_second_import_changes_nothing(tree):
    directory_import(organisations=ORGANISATIONS, users=USERS)
    before = directory()
    result = directory_import(organisations=ORGANISATIONS, users=USERS)
    assert (result.organisations_unchanged, result.users_unchanged) == (2, 2)
    assert (result.organisations_created, result.organisations_updated, result.users_created) == (0, 0, 0)
    assert directory() == before


def test_a_second_import_keeps_what_the_file_does_not_say(tree):
    """A re-run (setup_country is safe to run again) leaves the administrator's choices:
    whether co-responders see the organisation, and an alert level the file leaves blank."""
    directory_import(organisations=ORGANISATIONS, users=USERS)
    Organisation.objects.filter(code="t-cso").update(shown_to_co_responders=False, min_alert_level="moderate")
    result = directory_import(organisations=ORGANISATIONS, users=USERS)
    cso = Organisation.objects.get(code="t-cso")
    assert (cso.shown_to_co_responders, cso.min_alert_level) == (False, "moderate")
    assert result.organisations_updated == 0


def test_it_reports_each_bad_row_and_saves_nothing_from_the_files(tree):
    organisations = ORGANISATIONS + (
        "t-bad,Bad,army,T-9,nothing,low,not-an-address\n"  # line 4
        "t-desk,Twice,cso,,,,\n"  # line 5
    )
    users = USERS + (
        "t.x,t-nowhere,boss,x@,,\n"  # line 4
        "t.cso,t-cso,responder,,,\n"  # line 5
        ",t-cso,analyst,,,\n"  # line 6
        "t.bad,t-bad,analyst,,,\n"  # line 7
    )
    found = problems(organisations=organisations, users=users)
    assert "organisations, line 4: sector: 'army' is not one of police, government, cso, academia, media, other" in (
        found
    )
    assert "organisations, line 4: min_alert_level: 'low' is not one of moderate, high, critical" in found
    assert "organisations, line 4: contact_email: not-an-address is not an e-mail address" in found
    assert "organisations, line 4: coverage: no place has the code T-9" in found
    assert "organisations, line 4: mandate: no theme has the code nothing" in found
    assert "organisations, line 5: code: also on organisations, line 2; codes must be unique" in found
    assert "users, line 4: role: 'boss' is not one of analyst, responder, coordinator, admin" in found
    assert "users, line 4: organisation: no organisation has the code 't-nowhere'" in found
    assert "users, line 4: email: x@ is not an e-mail address" in found
    assert "users, line 5: username: also on users, line 3; usernames must be unique" in found
    assert "users, line 6: username: required" in found
    assert "users, line 7: organisation: 't-bad' was refused in the organisations file" in found
    assert len(found) == 12
    assert directory() == []  # the good rows were not saved either


@pytest.mark.parametrize(
    ("users", "expected"),
    [
        ("username,role\nx,analyst\n", "users: the header lacks the columns organisation"),
        ("username,organisation,role,password\n", "users: unknown columns password"),
        ("username,organisation,role\nx,t-desk,analyst,extra\n", "users, line 2: more cells than columns"),
    ],
)
def test_it_refuses_a_malformed_file(tree, users, expected):
    with pytest.raises(DirectoryImportError) as refused:
        directory_import(organisations=ORGANISATIONS, users=users)
    assert any(message.startswith(expected) for message in refused.value.messages)
    assert directory() == []


def test_it_never_changes_an_existing_account(tree):
    directory_import(organisations=ORGANISATIONS, users=USERS)
    before = directory()
    promoted = USERS.replace("t.cso,t-cso,responder", "t.cso,t-desk,admin")
    found = problems(users=promoted)
    assert found == [
        "users, line 3: username: t.cso exists already with another role or organisation; change it in the admin site"
    ]
    assert directory() == before


def test_a_staging_password_is_set_and_checked_against_each_user(tree):
    result = directory_import(organisations=ORGANISATIONS, users=USERS, password="a staging password 42")
    assert result.users_without_password == []
    assert User.objects.get(username="t.cso").check_password("a staging password 42")


def test_a_dry_run_counts_and_saves_nothing(tree):
    result = directory_import(organisations=ORGANISATIONS, users=USERS, dry_run=True)
    assert (result.dry_run, result.organisations_created, result.users_created) == (True, 2, 2)
    assert directory() == []


def test_a_coverage_code_held_in_two_countries_must_name_its_country(tree):
    other, _ = region_upsert(code="U", name="U land", level=RegionLevel.COUNTRY)
    twin, _ = region_upsert(code="T-1", name="U's own T-1", level=RegionLevel.REGION, parent=other)
    ambiguous = "code,name,sector,coverage,mandate\nu-cso,U Network,cso,T-1,tension\n"
    found = problems(organisations=ambiguous)
    assert found == [
        "organisations, line 2: coverage: T-1 name places in several countries; write COUNTRY:CODE, e.g. MY:01"
    ]
    directory_import(organisations="code,name,sector,coverage,mandate\nu-cso,U Network,cso,U:T-1,tension\n")
    assert list(Organisation.objects.get(code="u-cso").coverage.all()) == [twin]
