"""The demo runs on the runtime requirements alone (``./run.sh demo`` installs only those)."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Installed by requirements/training.txt or dev.txt, never by base.txt.
NOT_IN_THE_RUNTIME = (
    "torch",
    "transformers",
    "onnx",
    "onnxscript",
    "onnxmltools",
    "skl2onnx",
    "xgboost",
    "sklearn",
    "pandas",
    "librosa",
    "tflite",
    "pytest",
    "playwright",
    "schemathesis",
    "factory",
)

RUN_WITHOUT_DEV_PACKAGES = textwrap.dedent(
    f"""
    import importlib.abc, sys

    BLOCKED = {NOT_IN_THE_RUNTIME!r}

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{{name}} is not a runtime requirement")
            return None

    sys.meta_path.insert(0, Block())
    from django.core.management import execute_from_command_line
    execute_from_command_line(["manage.py", *sys.argv[1:]])
    """
)


def _requirements(name: str) -> set[str]:
    names = set()
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\[<>=~ ]", line)[0].lower())
    return names


def test_the_runtime_requirements_hold_no_training_or_test_package():
    runtime = _requirements("base.txt")

    assert not runtime & {"torch", "transformers", "playwright", "pytest", "xgboost-cpu", "onnx"}
    assert (ROOT / "requirements.txt").read_text().count("-r requirements/base.txt") == 1


def _demo_environment() -> dict[str, str]:
    """What ``./run.sh demo`` exports before it serves (``export NAME="${NAME:-value}"``)."""
    demo = (ROOT / "run.sh").read_text().split("\n  demo)", 1)[1].split(";;", 1)[0]
    return dict(re.findall(r'(\w+)="\$\{\w+:-([^}]*)\}"', demo))


def test_the_demo_runs_like_production_and_offers_scoring_on_the_device():
    assert _demo_environment() == {
        "SIGNAL_PROFILE": "standard",
        "DEBUG": "false",
        "PRIVATE_MODE": "optional",
    }


def test_the_demo_sets_up_and_serves_without_training_or_test_packages(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}},
        **_demo_environment(),
        "RESONANCE_VAR_DIR": str(tmp_path),
        "STATIC_ROOT": str(tmp_path / "static"),
        "DJANGO_SETTINGS_MODULE": "resonance.settings",
    }

    def manage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", RUN_WITHOUT_DEV_PACKAGES, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    manage("migrate", "--noinput", "-v0")
    assert "voice: starter-" in manage("setup_models")
    assert "Published" in manage("seed_demo")
    manage("check")
    manage("collectstatic", "--noinput", "-v0")
    served = manage(
        "shell",
        "-c",
        "from django.test import Client; c = Client(); "
        "missing = c.get('/no-such-page/'); api = c.get('/api/v1/no-such-thing/'); "
        "print(c.get('/healthz').status_code, c.get('/accounts/login/').status_code, "
        "missing.status_code, 'URLconf' in missing.content.decode(), "
        "'Page not found' in missing.content.decode(), api['Content-Type'])",
    )
    # A styled 404, not Django's debug page listing every URL; JSON under /api/.
    assert served.strip().splitlines()[-1].split() == [
        "200",
        "200",
        "404",
        "False",
        "True",
        "application/json",
    ]
