"""The benchmark's services (bench/environment.py): a database of its own, never the configured one."""

from __future__ import annotations

import pytest

from bench.environment import ServiceUnavailable, services_from_env


def test_it_never_takes_the_configured_database_itself():
    services = services_from_env(
        {"DATABASE_URL": "postgres://app:secret@db:5432/ewers", "REDIS_URL": "redis://cache:6379/0"}
    )
    assert services.database_url == "postgres://app:secret@db:5432/ewers_bench"
    assert services.redis_url == "redis://cache:6379/14"
    assert services.maintenance_dsn() == "postgres://app:secret@db:5432/postgres"
    assert services_from_env({}).database_url == "postgres://postgres@127.0.0.1:5432/ewers_bench"


@pytest.mark.parametrize(
    "env",
    [{"BENCH_DATABASE_URL": "postgres://postgres@127.0.0.1/ewers"}, {"BENCH_DATABASE_URL": "sqlite:///bench.db"}],
)
def test_it_refuses_a_database_it_may_not_drop(env):
    with pytest.raises(ServiceUnavailable):
        services_from_env(env)
