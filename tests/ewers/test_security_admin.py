"""No self-promotion (issue 12; ASVS 4.1.3): administrators manage organisations, users
and roles, but staff status, superuser status, groups and permissions follow from the role;
only a superuser creates administrators; role, organisation and activity changes are
audited with who made them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from ewers.choices import Role
from ewers.models import User
from ewers.services import user_upsert
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def change_form(user: User, **changes: object) -> dict[str, object]:
    """What the user change form posts, with ``changes``."""
    data: dict[str, object] = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "organisation": user.organisation_id,
        "role": user.role,
        "is_active": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_user_form_offers_no_privilege_fields(cast, admin_client):
    page = admin_client.get(reverse("admin:ewers_user_change", args=[cast.analyst.pk])).content.decode()
    for field in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{field}"' not in page, field
    assert 'name="role"' in page and 'name="organisation"' in page


def test_posting_privilege_fields_anyway_changes_nothing(cast, admin_client):
    permission = Permission.objects.get(codename="view_fieldreport")
    data = change_form(cast.analyst, is_superuser="on", is_staff="on", user_permissions=[permission.pk], groups=[1])
    response = admin_client.post(reverse("admin:ewers_user_change", args=[cast.analyst.pk]), data)
    assert response.status_code == 302
    user = User.objects.get(pk=cast.analyst.pk)
    assert not user.is_superuser and not user.is_staff
    assert not user.user_permissions.exists() and not user.groups.exists()
    assert not user.has_perm("indicators.view_fieldreport")


def test_an_administrator_cannot_give_the_administrator_role(cast, admin_client):
    response = admin_client.post(
        reverse("admin:ewers_user_change", args=[cast.analyst.pk]), change_form(cast.analyst, role=Role.ADMIN)
    )
    assert response.status_code == 200  # the choice is not offered: a form error
    assert User.objects.get(pk=cast.analyst.pk).role == Role.ANALYST
    add = admin_client.post(
        reverse("admin:ewers_user_add"),
        {
            "username": "newadmin",
            "password1": "a-long-enough-pass",
            "password2": "a-long-enough-pass",
            "usable_password": "true",
            "organisation": cast.desk.pk,
            "role": Role.ADMIN,
        },
    )
    assert add.status_code == 200
    assert not User.objects.filter(username="newadmin").exists()


def test_an_administrator_cannot_change_another_administrator(cast, admin_client):
    other = factories.make_user("adm2", cast.desk, Role.ADMIN)
    url = reverse("admin:ewers_user_change", args=[other.pk])
    assert admin_client.post(url, change_form(other, role=Role.ANALYST)).status_code == 403
    assert admin_client.get(reverse("admin:auth_user_password_change", args=[other.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        user_upsert(username="adm2", organisation=cast.desk, role=Role.ANALYST, actor=cast.admin)


def test_only_a_superuser_creates_administrators(cast):
    root = User.objects.create_superuser("root", "root@example.org", "root-long-passphrase")
    user, created = user_upsert(username="newadmin", organisation=cast.desk, role=Role.ADMIN, actor=root)
    assert created and user.is_staff and not user.is_superuser
    assert user.groups.filter(name="Administrators").exists()
    with pytest.raises(PermissionDenied):
        user_upsert(username="newadmin2", organisation=cast.desk, role=Role.ADMIN, actor=cast.admin)
    with pytest.raises(PermissionDenied):
        user_upsert(username="ana", organisation=cast.lab, role=Role.ANALYST, is_superuser=True, actor=cast.admin)


def test_role_organisation_and_activity_changes_are_audited_with_the_actor(cast, admin_client):
    url = reverse("admin:ewers_user_change", args=[cast.analyst.pk])
    data = change_form(cast.analyst, role=Role.COORDINATOR, organisation=cast.desk.pk, is_active=None)
    assert admin_client.post(url, data).status_code == 302
    rows = AuditEvent.objects.filter(object_type="user", object_id=str(cast.analyst.pk)).order_by("id")
    assert [(r.actor_username, r.detail) for r in rows] == [
        ("adm", "role analyst → coordinator"),
        ("adm", "organisation lab → desk"),
        ("adm", "active True → False"),
    ]
    user = User.objects.get(pk=cast.analyst.pk)
    assert (user.role, user.organisation, user.is_active) == (Role.COORDINATOR, cast.desk, False)


def test_creating_a_user_is_audited(cast, admin_client):
    response = admin_client.post(
        reverse("admin:ewers_user_add"),
        {
            "username": "newbie",
            "password1": "a-long-enough-pass",
            "password2": "a-long-enough-pass",
            "usable_password": "true",
            "organisation": cast.lab.pk,
            "role": Role.ANALYST,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.check_password("a-long-enough-pass") and not user.is_staff
    row = AuditEvent.objects.get(object_type="user", object_id=str(user.pk))
    assert (row.actor_username, row.detail) == ("adm", "created: role analyst, organisation lab")
