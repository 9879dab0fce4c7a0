"""The benchmark's sizes (bench/config.py): from the scale and the overrides, never too small."""

from __future__ import annotations

import pytest

from bench.config import DEFAULTS, ConfigError, Sizes


def test_it_sizes_the_run_from_the_scale_and_overrides():
    assert Sizes.from_env({}).batch == DEFAULTS["batch"]
    sizes = Sizes.from_env({"BENCH_SCALE": "0.5", "BENCH_ALERTS": "7"})
    assert sizes.readings == DEFAULTS["readings"] // 2
    assert sizes.alerts == 7
    # Never below what a meaningful run needs, and alert communities come on top.
    tiny = Sizes.from_env({"BENCH_SCALE": "0.0001", "BENCH_ALERTS": "50"})
    assert tiny.batch == 100
    assert tiny.communities >= 2 * 50 + 20


@pytest.mark.parametrize("env", [{"BENCH_SCALE": "0"}, {"BENCH_SCALE": "lots"}, {"BENCH_SINGLE": "1e3"}])
def test_it_names_a_malformed_size(env):
    with pytest.raises(ConfigError, match="BENCH_"):
        Sizes.from_env(env)
