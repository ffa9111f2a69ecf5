"""The active registered model of each kind, with its session.

``get_model`` reads which version of a kind is active (one small query on every use) and asks
``inference.sessions`` for its session: built lazily, verified against the row's sha256 and
rebuilt when another version becomes active. A missing or altered file raises
``ModelUnavailable`` and nothing is scored. This module never imports torch or transformers.
"""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError

from inference import sessions
from inference.errors import ModelUnavailable
from inference.models import ModelVersion
from inference.registry import KINDS, resolve_model_path
from inference.sessions import X64_QUANT_PRECISION, LoadedModel, Problem, session_options
from resonance import indicators

__all__ = [
    "X64_QUANT_PRECISION",
    "LoadedModel",
    "active_metadata",
    "describe_active_models",
    "get_model",
    "load_active_models",
    "loaded_versions",
    "reset",
    "resolve_model_path",
    "session_options",
]


def reset() -> None:
    """Forget the registered models' sessions and every cached checksum (tests, or after
    replacing files on disk)."""
    sessions.reset(*KINDS)


def loaded_versions() -> dict[str, str]:
    """Kind -> version of the sessions this process holds."""
    return {name: version for name, version in sessions.loaded().items() if name in KINDS}


def _refusal(model: sessions.ModelFile, problem: Problem, error: str) -> str:
    what = f"The {model.name} model {model.version}"
    if problem == "missing":
        return f"{what} is missing its file {model.path}."
    if problem == "altered":
        return (
            f"{what} file {model.path.name} does not match its registered sha256; it was "
            "altered or replaced."
        )
    return f"{what} could not be loaded: {error}"


def _model_file(kind: str, version: str, file_path: str, sha256: str) -> sessions.ModelFile:
    return sessions.ModelFile(
        name=kind,
        path=resolve_model_path(file_path),
        sha256=sha256,
        version=version,
        refusal=_refusal,
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

    def metadata() -> dict[str, Any]:
        # Read once, when the session is built: the sidecar never changes for a version.
        meta: dict[str, Any] = ModelVersion.objects.values_list("metadata", flat=True).get(pk=pk)
        return meta

    return sessions.get(_model_file(kind, version, file_path, sha256), metadata=metadata)


def active_metadata(kind: str) -> dict[str, Any] | None:
    """Sidecar metadata of the active ``kind`` model, without loading it (None when none)."""
    return (
        ModelVersion.objects.filter(kind=kind, is_active=True)
        .values_list("metadata", flat=True)
        .first()
    )


def load_active_models() -> dict[str, str]:
    """Build sessions for every kind the signal profile needs that has a usable model (worker
    start-up warm-up).

    Returns kind -> version loaded, or kind -> error message; never raises for a bad model.
    """
    result = {}
    for kind in needed_kinds():
        try:
            result[kind] = get_model(kind).version
        except ModelUnavailable as exc:
            result[kind] = f"unavailable: {exc.message}"
    return result


def needed_kinds() -> tuple[str, ...]:
    """The model kinds some indicator of the active signal profile needs (``eu``: no voice)."""
    needed = indicators.model_kinds()
    return tuple(kind for kind in KINDS if kind in needed)


def describe_active_models() -> dict[str, dict[str, Any]]:
    """Health of the active model of each kind the profile needs, without building sessions
    (``sessions.report``)."""
    try:
        rows = {
            row.kind: row
            for row in ModelVersion.objects.filter(is_active=True).only(
                "kind", "version", "file_path", "sha256"
            )
        }
    except DatabaseError as exc:
        error = f"model registry unreadable: {str(exc)[:160]}"
        return {kind: sessions.report(False, None, None, False, error) for kind in needed_kinds()}
    report = {}
    for kind in needed_kinds():
        row = rows.get(kind)
        if row is None:
            report[kind] = sessions.report(False, None, None, False, f"no active {kind} model")
        else:
            model = _model_file(kind, row.version, row.file_path, row.sha256)
            report[kind] = sessions.health(model)
    return report
