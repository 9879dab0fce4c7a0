"""A database error raised outside any view (a middleware reading the session, say) is a
503 with Retry-After like one inside a view, not the 500 page (issue 17)."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from config.views import server_error


def answer_while_handling(error: Exception, request):
    # Django calls handler500 while it handles the exception: sys.exc_info() names it.
    try:
        raise error
    except Exception:  # noqa: BLE001 - any error: the handler sorts them
        return server_error(request)


@pytest.mark.parametrize(("path", "content_type"), [("/api/v1/me/", "application/json"), ("/reports/", "text/html")])
def test_a_database_error_outside_a_view_is_a_503(rf, settings, path, content_type):
    response = answer_while_handling(OperationalError("server closed the connection unexpectedly"), rf.get(path))
    assert response.status_code == 503
    assert response["Retry-After"] == str(settings.EWERS_RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith(content_type)


def test_any_other_error_is_still_a_500(rf):
    assert answer_while_handling(ValueError("a bug"), rf.get("/reports/")).status_code == 500
