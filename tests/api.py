"""API test helpers shared by the API test modules: clients signed in as a user, and reads."""

from __future__ import annotations

from typing import Any

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def as_user(user: Any) -> APIClient:
    """An API client authenticated as ``user``."""
    client = APIClient()
    client.force_authenticate(user)
    return client


def get(user: Any, url: str) -> Any:
    """The JSON of a GET of ``url`` by ``user``; it must answer 200."""
    response = as_user(user).get(url)
    assert response.status_code == 200, response.content
    return response.json()


def codes(user: Any, url: str) -> list[str]:
    return [row["code"] for row in get(user, url)["results"]]


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client
