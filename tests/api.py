"""API test helpers shared by the API test modules: clients signed in as a user, and reads."""

from __future__ import annotations

from typing import Any

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


def token_for(user: Any) -> str:
    """A new API token's key for ``user``, as signing in to the API gives one."""
    from ewers.services import api_token_issue

    return api_token_issue(user=user)[1]


def token_client(user: Any) -> APIClient:
    """An API client that sends a real token of ``user`` (the way gateways authenticate)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client
