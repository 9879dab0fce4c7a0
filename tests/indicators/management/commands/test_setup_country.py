"""setup_country, and README's "Starting a real deployment" taken step by step on an empty
database: the commands as written, a user setting a password from the e-mailed link, the
first sign-in and the first report."""

from __future__ import annotations

import json
import re
import shlex
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from ewers.choices import RegionLevel, Role
from ewers.models import Organisation, Region, Theme, User
from indicators.models import FieldReport, Indicator
from tests.indicators.conftest import local_input

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[4]
README = ROOT / "README.md"
SAMPLES = ROOT / "docs" / "samples"
NEW_PASSWORD = "a long first password 42"


def readme_commands() -> list[list[str]]:
    """The ``python manage.py …`` lines of README's "Starting a real deployment", in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Starting a real deployment", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("python manage.py "):
                commands.append(shlex.split(line)[2:])
    return commands


def setup_args(*extra: str) -> list[str]:
    return [
        "NC",
        "Negeri Contoh",
        "--regions",
        str(SAMPLES / "regions.geojson"),
        "--districts",
        str(SAMPLES / "districts.geojson"),
        "--communities",
        str(SAMPLES / "communities.geojson"),
        "--organisations",
        str(SAMPLES / "organisations.csv"),
        "--users",
        str(SAMPLES / "users.csv"),
        *extra,
    ]


def everything() -> list[object]:
    return [
        *Region.objects.order_by("code").values_list("code", "name", "level", "parent__code"),
        *Theme.objects.order_by("code").values_list("code", "name_ms"),
        *Indicator.objects.order_by("code").values_list("code", "version"),
        *Organisation.objects.order_by("code").values_list("code", "sector"),
        *User.objects.order_by("username").values_list("username", "role", "organisation__code"),
    ]


def test_readme_walks_from_an_empty_database_to_a_first_report(
    client, monkeypatch, capsys, django_capture_on_commit_callbacks
):
    monkeypatch.chdir(ROOT)  # README's paths are relative to the checkout
    commands = readme_commands()
    assert [c[0] for c in commands] == ["migrate", "createsuperuser", "setup_country", "setup_country"]
    assert commands[2][-1] == "--dry-run"
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "the bootstrap password 7")
    for command in commands:
        if command[0] == "createsuperuser":  # it prompts; a script answers with these
            command = [*command, "--noinput", "--username", "root", "--email", "root@example.org"]
        call_command(*command)
    assert User.objects.get(username="root").is_superuser
    out = capsys.readouterr().out
    assert "Dry run, nothing written:" in out
    assert "Negeri Contoh is set up." in out
    assert "6 new users have no password yet" in out

    country = Region.objects.get(code="NC")
    assert country.level == RegionLevel.COUNTRY
    assert Region.objects.get(code="NC-01").parent == country  # the regions file names no parent
    assert Region.objects.filter(level=RegionLevel.COMMUNITY).count() == 5
    assert Indicator.objects.count() == 18
    assert Indicator.objects.get(code="P01").name_ms == "Ucapan kebencian dalam forum tempatan"
    analyst = User.objects.get(username="nc.analyst")
    assert (analyst.role, analyst.organisation.code) == (Role.ANALYST, "nc-institute")
    assert not analyst.has_usable_password()

    # "Forgotten your password?": the link in the e-mail lets the analyst choose one.
    response = client.post(reverse("account_reset_password"), {"email": "analyst@example.org"})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["analyst@example.org"]
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", message.body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    analyst.refresh_from_db()
    assert analyst.check_password(NEW_PASSWORD)

    # The first sign-in, and the first report.
    response = client.post(reverse("login"), {"login": "nc.analyst", "password": NEW_PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.wsgi_request.user == analyst
    with django_capture_on_commit_callbacks(execute=True):  # scoring is queued after the commit
        response = client.post(
            reverse("reports:new"),
            {
                "community": "NC-01-01-01",
                "observed_at": local_input(timezone.now() - timedelta(hours=1)),
                "reading_P01": "3",
                "source_reliability": "B",
                "information_credibility": "2",
                "narrative": "Leaflets against another community at the market.",
                "source_reference": "",
                "idempotency_key": "5d1f3f0e-8a55-4c2a-9d7e-2f4c1b0a9e11",
            },
        )
    report = FieldReport.objects.get()
    assert report.status == "scored"
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:detail", args=[report.pk])
    assert (report.community.code, report.organisation.code, report.created_by) == (
        "NC-01-01-01",
        "nc-institute",
        analyst,
    )
    assert client.get(response["Location"]).status_code == 200


def test_a_staging_password_comes_from_the_environment_and_is_never_printed(monkeypatch, capsys):
    monkeypatch.setenv("EWERS_STAGING_PASSWORD", NEW_PASSWORD)
    call_command("setup_country", *setup_args("--password-env", "EWERS_STAGING_PASSWORD"))
    captured = capsys.readouterr()
    assert NEW_PASSWORD not in captured.out + captured.err
    assert "no password yet" not in captured.out
    assert all(user.check_password(NEW_PASSWORD) for user in User.objects.all())


def test_a_weak_staging_password_is_refused_with_nothing_written(monkeypatch):
    monkeypatch.setenv("EWERS_STAGING_PASSWORD", "short")
    with pytest.raises(CommandError) as refused:
        call_command("setup_country", *setup_args("--password-env", "EWERS_STAGING_PASSWORD"))
    assert str(refused.value).startswith(
        "The password in EWERS_STAGING_PASSWORD is refused: This password is too short."
    )
    assert not Region.objects.exists()
    assert not User.objects.exists()


def test_a_bad_file_at_any_step_writes_nothing_of_the_others(tmp_path, capsys):
    users = tmp_path / "users.csv"
    users.write_text((SAMPLES / "users.csv").read_text() + "nc.x,nc-nowhere,analyst,,,\n")
    args = setup_args()
    args[args.index(str(SAMPLES / "users.csv"))] = str(users)
    with pytest.raises(CommandError, match="The organisations and users was refused"):
        call_command("setup_country", *args)
    assert f"{users}, line 8: organisation: no organisation has the code 'nc-nowhere'" in capsys.readouterr().err
    assert everything() == []


def test_a_regions_file_that_is_not_geojson_is_refused(tmp_path, capsys):
    regions = tmp_path / "regions.geojson"
    regions.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(CommandError):
        call_command("setup_country", "NC", "Negeri Contoh", "--regions", str(regions))
    assert "The FeatureCollection has no features." in capsys.readouterr().err
    assert everything() == []


def test_a_country_code_held_by_a_place_of_another_country_leaves_that_place_alone(cast):
    # Codes are unique within a country: country T's region "T-1" is not this new country.
    call_command("setup_country", "T-1", "Somewhere", "--framework", "none")
    assert Region.objects.get(code="T-1", level=RegionLevel.REGION).name == "T region"
    assert Region.objects.get(code="T-1", level=RegionLevel.COUNTRY).name == "Somewhere"


def test_a_second_run_changes_nothing(capsys):
    call_command("setup_country", *setup_args())
    before = everything()
    call_command("setup_country", *setup_args())
    out = capsys.readouterr().out
    assert "Users: 0 created, 6 unchanged." in out
    assert "Organisations: 0 created, 0 updated, 5 unchanged." in out
    assert everything() == before


def test_it_names_the_new_users_who_cannot_reset_a_password_by_e_mail(tmp_path, capsys):
    users = tmp_path / "users.csv"
    users.write_text((SAMPLES / "users.csv").read_text().replace("damai@example.org", ""))
    args = setup_args()
    args[args.index(str(SAMPLES / "users.csv"))] = str(users)
    call_command("setup_country", *args)
    out = capsys.readouterr().out
    assert "nc.damai have no e-mail address: give them one, or a password, in Administration → Users." in out
