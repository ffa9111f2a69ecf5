"""What a browser needs to score a check-in on the employee's own device.

For each kind that can run on the device (fatigue with the landmark pipeline, voice with the
feature pipeline), the manifest names the active model's version, every ONNX file the browser
runs (the model itself and the bundled detector, landmark, speech and voice-encoder models it
depends on) and a digest over all of them. The browser echoes version and digest with its
scores; a scored check-in whose digest is not the one served now was made with other models
and is refused (``StaleModels``), so the person reloads instead of mixing versions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from inference import face, fatigue, vad, voice, voice_features
from inference.errors import ModelUnavailable
from inference.models import ModelVersion
from inference.registry import resolve_model_path
from resonance import indicators

FACE_PIPELINE = "face-landmarks-v1"


@dataclass(frozen=True)
class DeviceFile:
    role: str  # what the browser uses it for: "model", "detector", "vad", ...
    path: Path
    sha256: str


@dataclass(frozen=True)
class DeviceKind:
    kind: str
    version: str
    digest: str  # over every file's role and sha256: changes when any of them changes
    sidecar: dict
    files: tuple[DeviceFile, ...]


def _digest(version: str, files: list[DeviceFile]) -> str:
    hasher = hashlib.sha256(version.encode())
    for item in sorted(files, key=lambda f: f.role):
        hasher.update(f"|{item.role}:{item.sha256}".encode())
    return hasher.hexdigest()


def _bundled(folder: Path, entries: dict[str, str]) -> list[DeviceFile]:
    manifest_path = folder / "manifest.json"
    try:
        models = json.loads(manifest_path.read_text())["models"]
        return [
            DeviceFile(role, folder / models[name]["file"], models[name]["sha256"])
            for role, name in entries.items()
        ]
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailable(f"Bundled models missing for on-device scoring: {exc}") from exc


def _components(kind: str, metadata: dict) -> list[DeviceFile] | None:
    """The bundled files ``kind``'s active model needs in the browser; None when its pipeline
    has no browser port (it is then scored on the server only)."""
    if kind == "fatigue" and metadata.get("pipeline") == FACE_PIPELINE:
        entries = {"detector": face.DETECTOR, "landmarks": face.LANDMARKS}
        if "lid_ear_mean" in fatigue.eye_features(metadata.get("combiner") or {"eyes": {}}):
            entries["eyes"] = face.EYES  # the eye model, for a combiner that reads the lids
        return _bundled(face.face_models_dir(), entries)
    if kind == "voice" and voice.is_feature_model(metadata):
        encoder = _bundled(voice_features.encoder_dir(), {"encoder": voice_features.ENCODER})
        return [DeviceFile("vad", vad.model_path(), vad.SHA256), *encoder]
    return None


def device_kinds() -> dict[str, DeviceKind]:
    """The active models that can score on the device, by kind: only kinds that produce an
    indicator the active profile computes on a device (``resonance.indicators``)."""
    out: dict[str, DeviceKind] = {}
    rows = ModelVersion.objects.filter(kind__in=indicators.device_kinds(), is_active=True)
    for row in rows.values("kind", "version", "file_path", "sha256", "metadata"):
        components = _components(row["kind"], row["metadata"] or {})
        if components is None:
            continue
        model = DeviceFile("model", resolve_model_path(row["file_path"]), row["sha256"])
        files = [model, *components]
        out[row["kind"]] = DeviceKind(
            kind=row["kind"],
            version=row["version"],
            digest=_digest(row["version"], files),
            sidecar=row["metadata"] or {},
            files=tuple(files),
        )
    return out


def device_file(sha256: str) -> DeviceFile | None:
    """The served file with this sha256, if it belongs to an active on-device model."""
    for item in device_kinds().values():
        for file in item.files:
            if file.sha256 == sha256:
                return file
    return None


RUNTIME_MODULE = "ort.wasm.min.mjs"


def runtime_dir() -> str | None:
    """The vendored ONNX Runtime Web, relative to static/ (``vendor/onnxruntime-web/VERSION/``,
    written by ``scripts/vendor_browser_runtime.sh``); None when it is not installed."""
    root = Path(settings.BASE_DIR) / "static" / "vendor" / "onnxruntime-web"
    versions = sorted(p for p in root.glob("*/" + RUNTIME_MODULE)) if root.is_dir() else []
    if not versions:
        return None
    return f"vendor/onnxruntime-web/{versions[-1].parent.name}/"


def runtime_files() -> list[Path]:
    """The vendored runtime's module and WebAssembly files (empty when not installed)."""
    runtime = runtime_dir()
    if runtime is None:
        return []
    folder = Path(settings.BASE_DIR) / "static" / runtime
    return sorted(p for p in folder.iterdir() if p.suffix in (".mjs", ".wasm"))


def runtime_binary() -> Path | None:
    """The runtime's WebAssembly binary, the bulk of the first download."""
    return next((p for p in runtime_files() if p.suffix == ".wasm"), None)


def first_download_bytes() -> int | None:
    """What a browser downloads the first time it scores on the device: the runtime and every
    file of the active on-device models; None when the runtime is not installed."""
    files = runtime_files()
    if not files:
        return None
    total = sum(p.stat().st_size for p in files)
    for item in device_kinds().values():
        total += sum(file.path.stat().st_size for file in item.files if file.path.is_file())
    return total
