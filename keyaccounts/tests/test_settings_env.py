"""Settings come from the environment, and a bad or missing value fails loudly."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from keyaccounts.settings import envbool, envint, envlist

BASE_DIR = Path(__file__).resolve().parents[2]
VAR = "KEYACCOUNTS_TEST_VARIABLE"


def variables_settings_read() -> set[str]:
    source = (BASE_DIR / "keyaccounts" / "settings.py").read_text()
    calls = re.findall(
        r'(?:envbool|envint|envlist|envrate|os\.environ\.get|getenv)\(\s*"(\w+)"', source
    )
    items = re.findall(r'os\.environ\[\s*"(\w+)"\s*\]', source)
    return set(calls) | set(items)


# --- the helpers -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1", "true", "True", "yes", "on", " ON "])
def test_envbool_reads_true(monkeypatch, value):
    monkeypatch.setenv(VAR, value)
    assert envbool(VAR, False) is True


@pytest.mark.parametrize("value", ["0", "false", "FALSE", "no", "off", ""])
def test_envbool_reads_false(monkeypatch, value):
    monkeypatch.setenv(VAR, value)
    assert envbool(VAR, True) is False


def test_envbool_unset_gives_the_default(monkeypatch):
    monkeypatch.delenv(VAR, raising=False)
    assert envbool(VAR, True) is True
    assert envbool(VAR, False) is False


@pytest.mark.parametrize("value", ["maybe", "2", "enabled"])
def test_envbool_refuses_anything_else_and_names_the_variable(monkeypatch, value):
    monkeypatch.setenv(VAR, value)
    with pytest.raises(ImproperlyConfigured, match=VAR):
        envbool(VAR, True)


def test_envint_reads_a_whole_number(monkeypatch):
    monkeypatch.setenv(VAR, "42")
    assert envint(VAR, 7) == 42


@pytest.mark.parametrize("value", [None, "", "  "])
def test_envint_unset_or_empty_gives_the_default(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(VAR, raising=False)
    else:
        monkeypatch.setenv(VAR, value)
    assert envint(VAR, 7) == 7


@pytest.mark.parametrize("value", ["forty", "4.5", "1e3"])
def test_envint_refuses_a_non_number_and_names_the_variable(monkeypatch, value):
    monkeypatch.setenv(VAR, value)
    with pytest.raises(ImproperlyConfigured, match=VAR):
        envint(VAR, 7)


def test_envlist_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv(VAR, " crm.example.com, ,api.example.com,")
    assert envlist(VAR, ["x"]) == ["crm.example.com", "api.example.com"]
    monkeypatch.delenv(VAR)
    assert envlist(VAR, ["x"]) == ["x"]


def test_env_example_lists_every_variable_settings_read():
    example = (BASE_DIR / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))

    assert variables_settings_read() - documented == set()


# --- production settings, as a fresh process sees them ---------------------------------


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py with the production settings and only the given variables of ours."""
    ours = variables_settings_read()
    clean = {key: value for key, value in os.environ.items() if key not in ours}
    clean["DJANGO_SETTINGS_MODULE"] = "keyaccounts.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {"DEBUG": "0", "ALLOWED_HOSTS": "crm.example.com"}


def test_deploy_check_passes_with_debug_off_a_strong_key_and_allowed_hosts():
    run = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50),
        **PRODUCTION,
    )

    assert run.returncode == 0, run.stdout + run.stderr


def test_deploy_check_fails_when_a_hardening_setting_is_turned_off():
    run = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50),
        SECURE_SSL_REDIRECT="0",
        **PRODUCTION,
    )

    assert run.returncode != 0
    assert "security.W008" in run.stdout + run.stderr


def test_debug_off_without_a_secret_key_refuses_to_start():
    run = manage("check", **PRODUCTION)

    assert run.returncode != 0
    assert "SECRET_KEY" in run.stderr
    assert "ImproperlyConfigured" in run.stderr


@pytest.mark.parametrize("value", ["1200/min", "20/s", "50000/day", "5/hour"])
def test_envrate_reads_a_request_rate(monkeypatch, value):
    from keyaccounts.settings import envrate

    monkeypatch.setenv(VAR, value)
    assert envrate(VAR, "1/min") == value


@pytest.mark.parametrize("value", ["1200", "fast", "10/week", "0/min", "-5/min"])
def test_envrate_refuses_what_is_no_rate_and_names_the_variable(monkeypatch, value):
    from keyaccounts.settings import envrate

    monkeypatch.setenv(VAR, value)
    with pytest.raises(ImproperlyConfigured, match=VAR):
        envrate(VAR, "1/min")


def test_with_redis_url_the_cache_is_redis_so_web_processes_share_throttle_counts():
    show = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    with_redis = manage("shell", "-c", show, REDIS_URL="redis://127.0.0.1:6379/14")
    without = manage("shell", "-c", show)

    # Django's Redis cache, falling back to process memory while Redis does not answer.
    assert with_redis.stdout.split()[-1] == "keyaccounts.cache.ResilientRedisCache"
    assert without.stdout.split()[-1] == "django.core.cache.backends.locmem.LocMemCache"
