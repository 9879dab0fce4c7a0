"""The bench's API clients (bench/ingest.py): a figure's clock must not time the test
client's own start-up, which a served process pays once when it starts. No timing is
asserted."""

from __future__ import annotations

import pytest

from bench import ingest


@pytest.mark.django_db
def test_a_client_has_built_its_middleware_before_its_first_request():
    client = ingest._api_client("some-token")
    # Django's test client builds the middleware chain on its first request otherwise
    # (WhiteNoise's scan of the static files among it), inside whichever figure's clock.
    assert client.handler._middleware_chain is not None
    response = client.get("/api/v1/me/")
    # The token is sent and read (without it: "Authentication credentials were not provided.").
    assert (response.status_code, response.json()["detail"]) == (401, "Invalid token.")
