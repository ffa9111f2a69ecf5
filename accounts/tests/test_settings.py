"""Production settings: refuse to start without a secret, and pass ``check --deploy``."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k" * 20 + "Vq3#pX9!zL2@wR7$mN5^tB8&cY4*hJ6(" + "x" * 10


def run_manage(tmp_path, *args, **env_overrides) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "SECRET_KEY",
            "DJANGO_ENV",
            "DEBUG",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "SIGNAL_PROFILE",
            "CACHE_URL",
            # Set for the browser tests; production must not run with it (async.E001).
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(
        {
            "RESONANCE_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "resonance.settings",
            **env_overrides,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("secret", "message"),
    [(None, "SECRET_KEY must be set"), ("django-insecure-short", "too weak")],
)
def test_production_refuses_to_start_without_a_real_secret(tmp_path, secret, message):
    env = {
        "DJANGO_ENV": "production",
        "ALLOWED_HOSTS": "resonance.example.com",
        "CACHE_URL": "redis://127.0.0.1:6379/7",
    }
    if secret:
        env["SECRET_KEY"] = secret

    result = run_manage(tmp_path, "check", **env)

    assert result.returncode != 0
    assert message in result.stderr


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = run_manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        CACHE_URL="redis://127.0.0.1:6379/7",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="resonance.example.com",
        SIGNAL_PROFILE="standard",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_chosen_signal_profile(tmp_path):
    production = {
        "DJANGO_ENV": "production",
        "CACHE_URL": "redis://127.0.0.1:6379/7",
        "SECRET_KEY": STRONG_KEY,
        "ALLOWED_HOSTS": "resonance.example.com",
    }

    unset = run_manage(tmp_path, "check", **production)
    unknown = run_manage(tmp_path, "check", **production, SIGNAL_PROFILE="lenient")
    chosen = run_manage(tmp_path, "check", **production, SIGNAL_PROFILE="eu")

    assert unset.returncode != 0
    assert "Set SIGNAL_PROFILE (standard or eu) when DJANGO_ENV=production" in unset.stderr
    assert unknown.returncode != 0
    assert "SIGNAL_PROFILE must be one of standard, eu" in unknown.stderr
    assert chosen.returncode == 0, chosen.stderr


def test_development_defaults_to_the_standard_profile(tmp_path):
    result = run_manage(
        tmp_path, "shell", "-c", "from resonance import indicators; print(indicators.profile())"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "standard"


def test_development_generates_and_keeps_a_secret(tmp_path):
    from django.conf import settings

    first = run_manage(
        tmp_path, "shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)"
    )
    second = run_manage(
        tmp_path, "shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)"
    )

    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert len(first.stdout.strip()) >= 50
    assert settings.TIME_ZONE and settings.CELERY_TIMEZONE == settings.TIME_ZONE


def test_min_group_size_below_three_is_refused(tmp_path):
    result = run_manage(tmp_path, "check", MIN_GROUP_SIZE="2")

    assert result.returncode != 0
    assert "MIN_GROUP_SIZE must be at least 3" in result.stderr


@pytest.mark.parametrize("cache", [None, "locmemcache://", "dummycache://"])
def test_production_refuses_a_cache_each_process_keeps_to_itself(tmp_path, cache):
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": STRONG_KEY,
        "ALLOWED_HOSTS": "resonance.example.com",
        "SIGNAL_PROFILE": "standard",
    }
    if cache:
        env["CACHE_URL"] = cache

    result = run_manage(tmp_path, "check", **env)

    assert result.returncode != 0
    assert "Set CACHE_URL to a shared cache" in result.stderr
