"""gunicorn under the production settings, probed exactly as docker-compose probes it."""

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from accounts.tests.test_settings import ROOT, STRONG_KEY, run_manage

GUNICORN = Path(sys.executable).with_name("gunicorn")


def _compose_healthcheck(port: int) -> list[str]:
    """The web service's health check from docker-compose.yml, pointed at ``port``."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "python"]
    return [sys.executable, *(arg.replace(":8000/", f":{port}/") for arg in test[2:])]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def production_env(tmp_path):
    env = {
        "DJANGO_ENV": "production",
        "CACHE_URL": "redis://127.0.0.1:6379/7",
        "SECRET_KEY": STRONG_KEY,
        "ALLOWED_HOSTS": "resonance.example.com",
        "SIGNAL_PROFILE": "standard",
        "STATIC_ROOT": str(tmp_path / "static"),
        "MODELS_DIR": str(ROOT / "models"),
    }
    for args in (("migrate", "--noinput", "-v0"), ("setup_models",)):
        result = run_manage(tmp_path, *args, **env)
        assert result.returncode == 0, result.stdout + result.stderr
    return env


def _start_gunicorn(tmp_path, env: dict, port: int) -> subprocess.Popen:
    import os

    full_env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}},
        "RESONANCE_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "resonance.settings",
        **env,
    }
    full_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.Popen(
        [str(GUNICORN), "resonance.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_port(process: subprocess.Popen, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited: {process.stdout.read()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail("gunicorn did not start listening")


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is a runtime requirement")
def test_the_compose_health_check_passes_against_production_gunicorn(tmp_path, production_env):
    result = run_manage(tmp_path, "collectstatic", "--noinput", "-v0", **production_env)
    assert result.returncode == 0, result.stderr
    port = _free_port()
    server = _start_gunicorn(tmp_path, production_env, port)
    try:
        _wait_for_port(server, port)
        # Polled like compose does: the first tries may meet a worker still warming up.
        for _ in range(60):
            probe = subprocess.run(_compose_healthcheck(port), capture_output=True, timeout=30)
            if probe.returncode == 0:
                break
            time.sleep(0.5)
        assert probe.returncode == 0, probe.stderr.decode()

        # Everything else still redirects to HTTPS and refuses unknown hosts.
        request = urllib.request.Request(f"http://127.0.0.1:{port}/accounts/login/")
        opener = urllib.request.build_opener(_NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(request, timeout=10)
        assert redirect.value.code == 301
        assert redirect.value.headers["Location"].startswith("https://")
        evil = urllib.request.Request(
            f"http://127.0.0.1:{port}/healthz", headers={"Host": "evil.example.net"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(evil, timeout=10)
        assert refused.value.code == 400
    finally:
        server.terminate()
        server.wait(timeout=30)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is a runtime requirement")
def test_gunicorn_without_collected_static_files_refuses_to_start(tmp_path, production_env):
    shutil.rmtree(production_env["STATIC_ROOT"], ignore_errors=True)
    server = _start_gunicorn(tmp_path, production_env, _free_port())
    try:
        output, _ = server.communicate(timeout=90)
    finally:
        server.kill()

    assert server.returncode != 0
    assert re.search(r"Static files are not collected .*collectstatic --noinput", output)
