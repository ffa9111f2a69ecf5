"""The worker's import path and scoring never load torch or transformers."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import io, json, sys
    import django
    django.setup()
    from django.db import connection
    from inference.models import ModelVersion
    with connection.schema_editor() as editor:
        editor.create_model(ModelVersion)
    from resonance.celery import app
    app.loader.import_default_modules()  # every tasks module a worker loads
    from inference import services
    from inference.testing import register_tiny_models
    from inference.tests.media import audio_bytes, face_bytes
    register_tiny_models(sys.argv[1])
    services.score_image(io.BytesIO(face_bytes()))
    services.score_audio(io.BytesIO(audio_bytes("OGG", "OPUS")))
    services.score_burnout({"mental_fatigue": 4})
    heavy = {"torch", "transformers", "librosa"}
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in heavy)
    print(json.dumps(heavy))
    """
)


def test_scoring_in_a_worker_process_imports_no_torch(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "resonance.settings",
        "RESONANCE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "models")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
