"""Integration secrets are stored encrypted with keys derived from SECRET_KEY; rotating the key
keeps them readable while the old key is among SECRET_KEY_FALLBACKS."""

import os
import subprocess
import sys
from pathlib import Path

from django.test import override_settings
from encrypted_fields.fields import EncryptedTextField

ROOT = Path(__file__).resolve().parents[1]
OLD_KEY = "old-" + "k" * 60
NEW_KEY = "new-" + "n" * 60


def _field() -> EncryptedTextField:
    # A new field each time: the keys are derived once per field and cached.
    return EncryptedTextField()


def test_a_secret_written_under_the_old_key_is_read_after_rotation():
    with override_settings(SECRET_KEY=OLD_KEY, SECRET_KEY_FALLBACKS=[]):
        stored = _field().get_prep_value("xoxb-slack-bot-token")
    assert "xoxb" not in stored

    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
        read = _field().from_db_value(stored, None, None)

    assert read == "xoxb-slack-bot-token"


def test_without_the_old_key_the_secret_is_not_read_back():
    with override_settings(SECRET_KEY=OLD_KEY, SECRET_KEY_FALLBACKS=[]):
        stored = _field().get_prep_value("https://example.com/workflows/secret")

    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
        read = _field().from_db_value(stored, None, None)

    assert read != "https://example.com/workflows/secret"


def test_the_fallback_keys_come_from_the_environment(tmp_path):
    env = {
        **os.environ,
        "SECRET_KEY_FALLBACKS": f"{OLD_KEY},another-{'a' * 50}",
        "RESONANCE_VAR_DIR": str(tmp_path),
    }
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SECRET_KEY_FALLBACKS)"
    )

    answer = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "resonance.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert answer.returncode == 0, answer.stderr[-2000:]
    assert answer.stdout.strip().splitlines()[-1] == repr([OLD_KEY, f"another-{'a' * 50}"])
