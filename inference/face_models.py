"""The bundled face models: MediaPipe's face detector, face mesh and eye model, as ONNX files.

They ship with the code in ``FACE_MODELS_DIR`` (not as registered model versions), each with
its sha256 in ``manifest.json``. Their sessions are held by ``inference.sessions``: built once
per process after the file's digest has been checked; ``status`` reports their health without
building one.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from inference import sessions
from inference.errors import ModelUnavailable
from inference.sessions import Problem

DETECTOR = "face_detection_short_range"
LANDMARKS = "face_landmark"
EYES = "iris_landmark"
NAMES = (DETECTOR, LANDMARKS, EYES)


def face_models_dir() -> Path:
    """Shipped with the code (not registered model versions): ``FACE_MODELS_DIR``."""
    return Path(settings.FACE_MODELS_DIR)


@lru_cache(maxsize=4)
def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(f"The face models are missing ({path}): {exc}") from exc
    return manifest


def _refusal(model: sessions.ModelFile, problem: Problem, error: str) -> str:
    if problem == "unloadable":
        return f"The face model {model.path} could not be loaded: {error}"
    return f"The face model {model.path} is missing or altered."


def _model(name: str) -> sessions.ModelFile:
    folder = face_models_dir()
    return sessions.listed_model(
        folder,
        _manifest(folder),
        name,
        version=name,
        refusal=_refusal,
        unlisted=f"The face model {name} is not in the manifest.",
    )


def face_session(name: str) -> Any:
    """The ONNX Runtime session of the face model ``name``; raises ``ModelUnavailable``."""
    return sessions.get(_model(name)).session


def reset() -> None:
    """Forget the loaded sessions and the manifest (tests, or after the files changed)."""
    sessions.reset(*NAMES)
    _manifest.cache_clear()


def check_face_models() -> list[str]:
    """Problems with the face models, for ``manage.py check`` (empty when fine)."""
    error = status()["error"]
    return [error] if error else []


def load() -> str:
    """Build both sessions now (worker start-up); raises ``ModelUnavailable``."""
    for name in NAMES:
        face_session(name)
    return ", ".join(NAMES)


def status() -> dict[str, Any]:
    """Health of the bundled face models together, in the shape of the other /healthz model
    entries (``sessions.report``), without building a session."""
    try:
        models = [_model(name) for name in NAMES]
    except ModelUnavailable as exc:
        return sessions.report(False, None, None, False, exc.message)
    loaded = all(sessions.is_loaded(model) for model in models)
    for model in models:
        health = sessions.health(model)
        if not health["ok"]:
            return {**health, "loaded": loaded, "error": f"{model.name}: {health['error']}"}
    return sessions.report(True, "+".join(NAMES), True, loaded, None)
