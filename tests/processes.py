"""Django started in a fresh process, for what the suite's own process cannot show: the
deployment's settings (``config.settings``) read from exactly the variables a test gives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_django(env_overrides: dict[str, str], *args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    """``manage.py ARGS``, or Python ``code`` (default: ``django.setup()`` only), with these
    variables on top of PATH, HOME, LANG and PYTHONPATH (nothing else from the test run)."""
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "PYTHONPATH"}}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env["EWERS_ENV_FILE"] = ""  # a developer's .env must not fill in what a test leaves out
    env.update(env_overrides)
    if args:
        command = [sys.executable, "manage.py", *args]
    else:
        command = [sys.executable, "-c", code or "import django; django.setup()"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
