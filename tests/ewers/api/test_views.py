"""API v1 foundations (ewers/api/views.py): token login, who-am-I, and the regions each role
reads; every read needs credentials."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests import factories
from tests.api import as_user, codes, get

pytestmark = pytest.mark.django_db


def test_a_token_is_exchanged_for_valid_credentials(cast, api):
    response = api.post(reverse("api-token"), {"username": "cso", "password": factories.PASSWORD}, format="json")
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = api.get(reverse("api-me"))
    assert me.status_code == 200
    assert me.json() == {"username": "cso", "organisation": "Organisation cso", "sector": "cso", "role": "responder"}


def test_bad_credentials_get_a_400_with_a_message(cast, api):
    response = api.post(reverse("api-token"), {"username": "cso", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_a_missing_field_gets_a_field_message(cast, api):
    response = api.post(reverse("api-token"), {"username": "cso"}, format="json")
    assert response.status_code == 400
    assert response.json()["password"] == ["This field is required."]


def test_malformed_json_gets_a_400(cast, api):
    response = api.post(reverse("api-token"), "{not json", content_type="application/json")
    assert response.status_code == 400


def test_me_needs_credentials(api):
    assert api.get(reverse("api-me")).status_code == 401


def test_a_superuser_without_organisation_is_described(cast, api, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x" * 12)
    api.force_authenticate(root)
    assert api.get(reverse("api-me")).json()["organisation"] is None


def test_the_token_endpoint_locks_out_after_repeated_failures(cast, api, settings):
    url = reverse("api-token")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert api.post(url, {"username": "cso", "password": "nope"}, format="json").status_code == 400
    # The failure that reaches the limit locks the account at once...
    assert api.post(url, {"username": "cso", "password": "nope"}, format="json").status_code == 429
    # ...and the right password is refused while it lasts.
    response = api.post(url, {"username": "cso", "password": factories.PASSWORD}, format="json")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.json()["detail"]


def test_members_of_a_deactivated_organisation_lose_token_access(cast, api):
    token = api.post(reverse("api-token"), {"username": "cso", "password": factories.PASSWORD}, format="json")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert api.get(reverse("api-me")).status_code == 200
    cast.cso.is_active = False
    cast.cso.save()
    assert api.get(reverse("api-me")).status_code == 401
    api.credentials()
    response = api.post(reverse("api-token"), {"username": "cso", "password": factories.PASSWORD}, format="json")
    assert response.status_code == 400


T_TREE = ["T", "T-1", "T-1-1", "T-1-1-1", "T-1-1-2"]
U_TREE = ["U", "U-1", "U-1-1", "U-1-1-1", "U-1-1-2"]


# --- Regions -----------------------------------------------------------------------------------


def test_each_role_lists_exactly_the_regions_it_covers(cast):
    url = reverse("api-region-list")
    assert codes(cast.analyst, url) == T_TREE[1:]
    assert codes(cast.other_analyst, url) == U_TREE[1:]
    assert codes(cast.cso_user, url) == ["T-1-1-1"]
    assert codes(cast.coordinator, url) == T_TREE
    assert codes(cast.police_user, url) == sorted(T_TREE + U_TREE)
    assert codes(cast.admin, url) == sorted(T_TREE + U_TREE)


def test_a_region_row_names_its_level_and_parent(cast):
    rows = get(cast.analyst, reverse("api-region-list") + "?level=community")["results"]
    district = cast.places["district"]
    assert rows == [
        {
            "id": cast.places["c1"].pk,
            "code": "T-1-1-1",
            "name": "T village one",
            "level": "community",
            "parent": district.pk,
        },
        {
            "id": cast.places["c2"].pk,
            "code": "T-1-1-2",
            "name": "T village two",
            "level": "community",
            "parent": district.pk,
        },
    ]
    assert codes(cast.analyst, reverse("api-region-list") + f"?parent={cast.places['region'].pk}") == ["T-1-1"]
    assert codes(cast.analyst, reverse("api-region-list") + f"?parent={cast.other_places['region'].pk}") == []


def test_a_region_outside_coverage_is_a_404(cast):
    assert as_user(cast.analyst).get(reverse("api-region-detail", args=[cast.places["c1"].pk])).status_code == 200
    assert as_user(cast.analyst).get(reverse("api-region-detail", args=[cast.other_places["c1"].pk])).status_code == 404
    assert as_user(cast.cso_user).get(reverse("api-region-detail", args=[cast.places["c2"].pk])).status_code == 404


def test_reads_need_credentials(cast):
    for name in ("api-region-list", "api-community-list", "api-indicator-list", "api-alert-list", "api-report-list"):
        assert APIClient().get(reverse(name)).status_code == 401
