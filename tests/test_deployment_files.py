"""What the deployment files promise operators: no secret or local state in the image, a relay
for the outbox, and beat's state under var/."""

import os
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


def _dockerignore() -> set[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_the_image_never_carries_the_env_file_or_local_state():
    ignored = _dockerignore()
    assert {".env", ".env.*", "var", "node_modules", ".venv", "*.sqlite3"} <= ignored


def test_compose_runs_the_outbox_relay_beside_the_worker_and_beat():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert services["relay"]["command"] == "python manage.py relay_outbox"
    assert {"web", "worker", "beat", "relay"} <= set(services)


def test_celery_beat_keeps_its_schedule_under_var():
    schedule = Path(settings.CELERY_BEAT_SCHEDULE_FILENAME)
    assert schedule.parent == Path(settings.VAR_DIR)
    from resonance.celery import app

    assert app.conf.beat_schedule_filename == settings.CELERY_BEAT_SCHEDULE_FILENAME


def test_a_web_process_has_loaded_every_view_before_its_first_request(tmp_path):
    """gunicorn workers import resonance.wsgi before they accept connections: the URL
    configuration (every view and its libraries) must be loaded by then, not by the first
    person to reach the worker."""
    import subprocess
    import sys

    probe = (
        "import sys; import resonance.wsgi; "
        "print(all(m in sys.modules for m in ('metrics.api', 'sso.urls', 'calendars.api')))"
    )
    env = {
        **os.environ,
        "RESONANCE_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "resonance.settings",
    }
    env.pop("DATABASE_URL", None)

    answer = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert answer.returncode == 0, answer.stderr[-2000:]
    assert answer.stdout.strip().splitlines()[-1] == "True"
