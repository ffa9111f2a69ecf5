"""The model registry: register ONNX files with their JSON sidecars and choose the active one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from inference.errors import InvalidModelFile
from inference.models import ModelVersion
from inference.sessions import new_session, sha256_of

SIDECAR_FORMAT_VERSION = 1
KINDS = tuple(ModelVersion.Kind.values)
REQUIRED_KEYS = ("format_version", "kind", "version", "onnx_file", "sha256", "input_name")
CLASSIFIER_KINDS = ("fatigue", "voice")


def sidecar_path(onnx_path: Path) -> Path:
    return onnx_path.with_suffix(".json")


def resolve_model_path(file_path: str) -> Path:
    """Absolute path of a registered file (relative paths live under ``MODELS_DIR``)."""
    path = Path(file_path)
    return path if path.is_absolute() else Path(settings.MODELS_DIR) / path


def _stored_path(onnx_path: Path) -> str:
    try:
        return str(onnx_path.resolve().relative_to(Path(settings.MODELS_DIR).resolve()))
    except ValueError:
        return str(onnx_path.resolve())


def read_sidecar(onnx_path: Path) -> dict[str, Any]:
    """Load and check the sidecar of ``onnx_path``; raises ``InvalidModelFile`` when unusable."""
    path = sidecar_path(onnx_path)
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError:
        raise InvalidModelFile(f"No sidecar {path.name} next to {onnx_path.name}.") from None
    except (OSError, ValueError) as exc:
        raise InvalidModelFile(f"Sidecar {path.name} is not valid JSON: {exc}.") from exc
    if not isinstance(meta, dict):
        raise InvalidModelFile(f"Sidecar {path.name} must hold a JSON object.")
    missing = [key for key in REQUIRED_KEYS if key not in meta]
    if missing:
        raise InvalidModelFile(f"Sidecar {path.name} lacks: {', '.join(missing)}.")
    if meta["format_version"] != SIDECAR_FORMAT_VERSION:
        raise InvalidModelFile(
            f"Sidecar {path.name} has format_version {meta['format_version']!r}; "
            f"this version reads {SIDECAR_FORMAT_VERSION}."
        )
    if meta["kind"] not in KINDS:
        raise InvalidModelFile(f"Unknown model kind {meta['kind']!r} (one of {', '.join(KINDS)}).")
    if meta["onnx_file"] != onnx_path.name:
        raise InvalidModelFile(
            f"Sidecar {path.name} describes {meta['onnx_file']!r}, not {onnx_path.name!r}."
        )
    if meta["kind"] in CLASSIFIER_KINDS:
        labels = meta.get("labels")
        weights = meta.get("score_weights")
        if not labels or not isinstance(labels, list):
            raise InvalidModelFile(f"Sidecar {path.name} needs a non-empty 'labels' list.")
        if not isinstance(weights, dict) or set(weights) != set(labels):
            raise InvalidModelFile(
                f"Sidecar {path.name} needs 'score_weights' with exactly one weight per label."
            )
    elif not isinstance(meta.get("features"), list) or not meta["features"]:
        raise InvalidModelFile(f"Sidecar {path.name} needs a non-empty 'features' list.")
    return meta


def _check_graph(onnx_path: Path, meta: dict[str, Any]) -> None:
    try:
        # The options the model will run with (inference.sessions), so registration fails where
        # scoring would.
        session = new_session(onnx_path)
    except Exception as exc:  # onnxruntime raises its own untyped errors for bad graphs
        raise InvalidModelFile(f"{onnx_path.name} is not a loadable ONNX model: {exc}") from exc
    inputs = [i.name for i in session.get_inputs()]
    outputs = [o.name for o in session.get_outputs()]
    if meta["input_name"] not in inputs:
        raise InvalidModelFile(
            f"{onnx_path.name} has no input {meta['input_name']!r} (it has {inputs})."
        )
    if meta.get("output_name") and meta["output_name"] not in outputs:
        raise InvalidModelFile(
            f"{onnx_path.name} has no output {meta['output_name']!r} (it has {outputs})."
        )


@transaction.atomic
def register_model_file(onnx_path: str | Path, *, activate: bool) -> ModelVersion:
    """Register ``onnx_path`` (with its ``.json`` sidecar) and optionally make it active.

    Checks the sidecar, the file's sha256 against it, and that ONNX Runtime loads the graph
    with the declared input/output names. Registering the same kind+version again with the
    same checksum refreshes its metadata (idempotent); a different checksum for an existing
    version is refused, because a version names one exact file. Activation is atomic: the
    kind's previous active version is deactivated in the same transaction.
    Raises ``InvalidModelFile``.
    """
    onnx_path = Path(onnx_path)
    if not onnx_path.is_file():
        raise InvalidModelFile(f"Model file {onnx_path} does not exist.")
    meta = read_sidecar(onnx_path)
    actual = sha256_of(onnx_path)
    if actual != meta["sha256"]:
        raise InvalidModelFile(
            f"sha256 mismatch for {onnx_path.name}: sidecar says {meta['sha256']}, "
            f"file is {actual}."
        )
    _check_graph(onnx_path, meta)
    existing = (
        ModelVersion.objects.select_for_update()
        .filter(kind=meta["kind"], version=meta["version"])
        .first()
    )
    if existing is not None and existing.sha256 != actual:
        raise InvalidModelFile(
            f"{meta['kind']} {meta['version']} is already registered with another file "
            f"(sha256 {existing.sha256}); give the new model a new version."
        )
    model, _ = ModelVersion.objects.update_or_create(
        kind=meta["kind"],
        version=meta["version"],
        defaults={
            "file_path": _stored_path(onnx_path),
            "sha256": actual,
            "metadata": meta,
            "metrics": meta.get("metrics") or {},
        },
    )
    if activate:
        model = activate_model(kind=model.kind, version=model.version)
    return model


@transaction.atomic
def activate_model(*, kind: str, version: str) -> ModelVersion:
    """Make ``kind``/``version`` the only active model of its kind.

    Locks the kind's rows so two concurrent activations serialise; the one-active-per-kind
    constraint backs this up. Raises ``InvalidModelFile`` when the version is not registered.
    """
    rows = list(ModelVersion.objects.select_for_update().filter(kind=kind))
    target = next((row for row in rows if row.version == version), None)
    if target is None:
        known = ", ".join(sorted(row.version for row in rows)) or "none"
        raise InvalidModelFile(f"No {kind} model version {version!r} (registered: {known}).")
    ModelVersion.objects.filter(kind=kind, is_active=True).exclude(pk=target.pk).update(
        is_active=False
    )
    if not target.is_active:
        target.is_active = True
        target.save(update_fields=["is_active"])
    return target
