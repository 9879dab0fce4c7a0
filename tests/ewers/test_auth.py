"""ewers.auth's own reads: the API token lookup reads what the queryset it replaces read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from knox.settings import CONSTANTS

from ewers.auth import api_tokens_by_key
from ewers.models import ApiToken, User
from ewers.services import api_token_issue

pytestmark = pytest.mark.django_db


def _values(instance: object) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}  # type: ignore[attr-defined]


def _queryset_reading(key: str) -> list[ApiToken]:
    return list(ApiToken.objects.filter(token_key=key).select_related("user__organisation"))


def test_it_reads_the_token_its_user_and_organisation_as_the_queryset_does(cast, django_assert_num_queries):
    token, key = api_token_issue(user=cast.analyst)
    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() + timedelta(hours=3))
    prefix = key[: CONSTANTS.TOKEN_KEY_LENGTH]
    with django_assert_num_queries(1):
        found = api_tokens_by_key(prefix)
        # The user and the organisation come with the token: no query more.
        assert found[0].user.organisation is not None
    expected = _queryset_reading(prefix)
    assert [_values(t) for t in found] == [_values(t) for t in expected]
    assert _values(found[0].user) == _values(expected[0].user)
    assert _values(found[0].user.organisation) == _values(expected[0].user.organisation)
    assert found[0].expiry == expected[0].expiry
    assert found[0].expiry.tzinfo is not None  # aware, as the queryset's, on every database
    assert found[0]._state.adding is False
    assert found[0]._state.db == expected[0]._state.db


def test_it_reads_a_user_without_an_organisation(db, django_assert_num_queries):
    # Only a bootstrap superuser stands outside every organisation.
    user = User.objects.create_superuser(username="root", password="a long enough password")
    _token, key = api_token_issue(user=user)
    prefix = key[: CONSTANTS.TOKEN_KEY_LENGTH]
    with django_assert_num_queries(1):
        (found,) = api_tokens_by_key(prefix)
        assert found.user.organisation is None
    (expected,) = _queryset_reading(prefix)
    assert _values(found) == _values(expected)
    assert _values(found.user) == _values(expected.user)


def test_it_reads_nothing_for_an_unknown_key(cast):
    api_token_issue(user=cast.analyst)
    assert api_tokens_by_key("0" * CONSTANTS.TOKEN_KEY_LENGTH) == []
