"""Pages under WSGI keep their database connection between requests; the event streams under ASGI never do
(Django's advice: an async server's threads come and go, and with them their connections)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def conn_max_age(module: str, **env: str) -> str:
    code = f"import {module}; from django.conf import settings; print(settings.DATABASES['default']['CONN_MAX_AGE'])"
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.base", "SECRET_KEY": "x" * 50, **env}
    environment.pop("CONN_MAX_AGE", None)
    environment.update(env)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("env", [{}, {"CONN_MAX_AGE": "300"}])
def test_the_event_streams_under_asgi_close_their_connections(env):
    assert conn_max_age("config.asgi", **env) == "0"


def test_pages_under_wsgi_keep_theirs_for_a_minute_unless_told_otherwise():
    assert conn_max_age("config.wsgi") == "60"
    assert conn_max_age("config.wsgi", CONN_MAX_AGE="0") == "0"
