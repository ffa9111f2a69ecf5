"""The bundled face models: MediaPipe's face detector and face mesh, as ONNX files.

They ship with the code in ``FACE_MODELS_DIR`` (not as registered model versions), each with
its sha256 in ``manifest.json``. A session is built once per process, under a lock, after the
file's digest has been checked; ``status`` reports their health without building one.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from inference.errors import ModelUnavailable
from inference.registry import sha256_of

DETECTOR = "face_detection_short_range"
LANDMARKS = "face_landmark"

_lock = threading.Lock()
# onnxruntime ships no type information: its sessions are typed Any, as in inference.runtime.
_sessions: dict[str, Any] = {}


def face_models_dir() -> Path:
    """Shipped with the code (not registered model versions): ``FACE_MODELS_DIR``."""
    return Path(settings.FACE_MODELS_DIR)


@lru_cache(maxsize=1)
def _manifest() -> dict[str, Any]:
    path = face_models_dir() / "manifest.json"
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(f"The face models are missing ({path}): {exc}") from exc
    return manifest


def face_session(name: str) -> Any:
    """The ONNX Runtime session of the face model ``name``; raises ``ModelUnavailable``."""
    with _lock:
        if name not in _sessions:
            import onnxruntime as ort

            entry = _manifest()["models"].get(name)
            if entry is None:
                raise ModelUnavailable(f"The face model {name} is not in the manifest.")
            path = face_models_dir() / entry["file"]
            if not path.is_file() or sha256_of(path) != entry["sha256"]:
                raise ModelUnavailable(f"The face model {path} is missing or altered.")
            options = ort.SessionOptions()
            options.intra_op_num_threads = settings.ORT_INTRA_OP_THREADS
            options.inter_op_num_threads = 1
            _sessions[name] = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        return _sessions[name]


def reset() -> None:
    """Forget the loaded sessions (tests, or after the files changed)."""
    with _lock:
        _sessions.clear()
    _manifest.cache_clear()


def check_face_models() -> list[str]:
    """Problems with the face models, for ``manage.py check`` (empty when fine)."""
    error = status()["error"]
    return [error] if error else []


def load() -> str:
    """Build both sessions now (worker start-up); raises ``ModelUnavailable``."""
    face_session(DETECTOR)
    face_session(LANDMARKS)
    return f"{DETECTOR}, {LANDMARKS}"


def status() -> dict[str, Any]:
    """Health of the bundled face models, in the shape of the other /healthz model entries,
    without building a session."""
    loaded = DETECTOR in _sessions and LANDMARKS in _sessions
    try:
        entries = _manifest()["models"]
        for name in (DETECTOR, LANDMARKS):
            path = face_models_dir() / entries[name]["file"]
            if not path.is_file():
                raise ModelUnavailable(f"The face model {path} is missing.")
            if sha256_of(path) != entries[name]["sha256"]:
                return {
                    "ok": False,
                    "version": name,
                    "sha256_ok": False,
                    "loaded": loaded,
                    "error": f"The face model {path} is altered (sha256 mismatch).",
                }
    except (ModelUnavailable, KeyError) as exc:
        message = exc.message if isinstance(exc, ModelUnavailable) else f"no entry {exc}"
        return {"ok": False, "version": None, "sha256_ok": None, "loaded": loaded, "error": message}
    return {
        "ok": True,
        "version": f"{DETECTOR}+{LANDMARKS}",
        "sha256_ok": True,
        "loaded": loaded,
        "error": None,
    }
