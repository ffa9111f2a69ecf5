"""One cached ONNX Runtime session per model kind per process.

Sessions are created lazily under a lock, checked against the registry on every use (one small
query) and rebuilt when another version becomes active. The file's sha256 is verified before a
session is built; a missing or altered file raises ``ModelUnavailable`` and nothing is scored.
This module never imports torch or transformers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import DatabaseError

from inference.errors import ModelUnavailable
from inference.models import ModelVersion
from inference.registry import KINDS, resolve_model_path, sha256_of


@dataclass
class LoadedModel:
    """An active model with its session; ``run`` feeds one input and returns the first output."""

    kind: str
    pk: int
    version: str
    sha256: str
    path: Path
    metadata: dict[str, Any]
    session: Any = field(repr=False)
    input_name: str = ""
    output_name: str | None = None

    def run(self, array: np.ndarray) -> np.ndarray:
        outputs = [self.output_name] if self.output_name else None
        return self.session.run(outputs, {self.input_name: array})[0]


_lock = threading.Lock()
_sessions: dict[str, LoadedModel] = {}
# (path, size, mtime_ns) -> sha256, so health checks don't rehash unchanged files.
_hashes: dict[tuple[str, int, int], str] = {}


def reset() -> None:
    """Forget every cached session and checksum (tests, or after replacing files on disk)."""
    with _lock:
        _sessions.clear()
        _hashes.clear()


def loaded_versions() -> dict[str, str]:
    """Kind -> version of the sessions this process holds."""
    return {kind: model.version for kind, model in _sessions.items()}


def _file_sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    digest = _hashes.get(key)
    if digest is None:
        digest = sha256_of(path)
        _hashes[key] = digest
    return digest


def _verify_file(kind: str, version: str, file_path: str, sha256: str) -> Path:
    path = resolve_model_path(file_path)
    if not path.is_file():
        raise ModelUnavailable(f"The {kind} model {version} is missing its file {path}.")
    if _file_sha256(path) != sha256:
        raise ModelUnavailable(
            f"The {kind} model {version} file {path.name} does not match its registered "
            "sha256; it was altered or replaced."
        )
    return path


X64_QUANT_PRECISION = "session.x64quantprecision"


def session_options() -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = settings.ORT_INTRA_OP_THREADS
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Exact int8 matrix products. On x86 without VNNI (AVX2, AVX-512 without VNNI) the default
    # U8S8 kernel adds pairs of products in saturating 16-bit lanes, which moved the int8
    # fatigue CNN's P(fatigued) by up to 0.03 on the test photos; the exact kernel costs no
    # measurable time on a check-in's 3-crop batch and gives what the browser computes.
    options.add_session_config_entry(X64_QUANT_PRECISION, "1")
    return options


def _load(kind: str, pk: int, version: str, file_path: str, sha256: str) -> LoadedModel:
    import onnxruntime

    path = _verify_file(kind, version, file_path, sha256)
    metadata = ModelVersion.objects.values_list("metadata", flat=True).get(pk=pk)
    try:
        session = onnxruntime.InferenceSession(
            str(path), sess_options=session_options(), providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises untyped errors for unloadable graphs
        raise ModelUnavailable(f"The {kind} model {version} could not be loaded: {exc}") from exc
    return LoadedModel(
        kind=kind,
        pk=pk,
        version=version,
        sha256=sha256,
        path=path,
        metadata=metadata,
        session=session,
        input_name=metadata.get("input_name") or session.get_inputs()[0].name,
        output_name=metadata.get("output_name"),
    )


def get_model(kind: str) -> LoadedModel:
    """The active model of ``kind`` with a ready session; raises ``ModelUnavailable``."""
    row = (
        ModelVersion.objects.filter(kind=kind, is_active=True)
        .values_list("pk", "version", "file_path", "sha256")
        .first()
    )
    if row is None:
        raise ModelUnavailable(
            f"No active {kind} model. Register one with 'manage.py setup_models' or "
            "'manage.py register_model PATH --activate'."
        )
    pk, version, file_path, sha256 = row
    cached = _sessions.get(kind)
    if cached is not None and cached.pk == pk and cached.sha256 == sha256:
        return cached
    with _lock:
        cached = _sessions.get(kind)
        if cached is not None and cached.pk == pk and cached.sha256 == sha256:
            return cached
        loaded = _load(kind, pk, version, file_path, sha256)
        _sessions[kind] = loaded
        return loaded


def active_metadata(kind: str) -> dict[str, Any] | None:
    """Sidecar metadata of the active ``kind`` model, without loading it (None when none)."""
    return (
        ModelVersion.objects.filter(kind=kind, is_active=True)
        .values_list("metadata", flat=True)
        .first()
    )


def load_active_models() -> dict[str, str]:
    """Build sessions for every kind that has a usable model (worker start-up warm-up).

    Returns kind -> version loaded, or kind -> error message; never raises for a bad model.
    """
    result = {}
    for kind in KINDS:
        try:
            result[kind] = get_model(kind).version
        except ModelUnavailable as exc:
            result[kind] = f"unavailable: {exc.message}"
    return result


def describe_active_models() -> dict[str, dict[str, Any]]:
    """Health of each kind's active model, without building sessions.

    ``loaded`` says whether this process holds a session for that exact version; ``sha256_ok``
    is None when there is no file to check.
    """
    try:
        rows = {
            row.kind: row
            for row in ModelVersion.objects.filter(is_active=True).only(
                "kind", "version", "file_path", "sha256"
            )
        }
    except DatabaseError as exc:
        error = f"model registry unreadable: {str(exc)[:160]}"
        return {kind: _status(False, None, None, False, error) for kind in KINDS}
    report = {}
    for kind in KINDS:
        row = rows.get(kind)
        if row is None:
            report[kind] = _status(False, None, None, False, f"no active {kind} model")
            continue
        cached = _sessions.get(kind)
        loaded = cached is not None and cached.pk == row.pk and cached.sha256 == row.sha256
        path = resolve_model_path(row.file_path)
        if not path.is_file():
            report[kind] = _status(False, row.version, None, loaded, f"file missing: {path}")
        elif _file_sha256(path) != row.sha256:
            report[kind] = _status(False, row.version, False, loaded, "sha256 mismatch")
        else:
            report[kind] = _status(True, row.version, True, loaded, None)
    return report


def _status(
    ok: bool, version: str | None, sha256_ok: bool | None, loaded: bool, error: str | None
) -> dict[str, Any]:
    return {
        "ok": ok,
        "version": version,
        "sha256_ok": sha256_ok,
        "loaded": loaded,
        "error": error,
    }
