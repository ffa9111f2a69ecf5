"""``manage.py convert_voice_encoder``: resemblyzer's voice encoder (shipped in its wheel) to ONNX.

    pip download --no-deps -d /tmp/wheels resemblyzer==0.1.4
    manage.py convert_voice_encoder --wheel /tmp/wheels/Resemblyzer-0.1.4-py3-none-any.whl

Writes ``models/voice_encoder/voice_encoder.onnx``, the wheel's licence and ``manifest.json``
(source, sha256, the largest PyTorch/ONNX difference on random inputs). The wheel is only read,
never installed: resemblyzer itself needs webrtcvad and torch at run time.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from training.artifacts import sha256_file

PARITY_TOLERANCE = 1e-4


class Command(BaseCommand):
    help = "Convert resemblyzer's pretrained voice encoder from its wheel to ONNX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wheel", type=Path, required=True, help="resemblyzer wheel")
        parser.add_argument("--out", type=Path, default=None, help="default VOICE_ENCODER_DIR")

    def handle(self, *args: object, wheel: Path, out: Path | None, **options: object) -> None:
        from training import voice_encoder

        out = out or Path(settings.VOICE_ENCODER_DIR)
        try:
            weights, licence = voice_encoder.read_weights(wheel)
            model = voice_encoder.load_encoder(weights)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        out.mkdir(parents=True, exist_ok=True)
        target = out / "voice_encoder.onnx"
        voice_encoder.export(model, target)
        difference = voice_encoder.parity(model, target)
        if difference > PARITY_TOLERANCE:
            target.unlink()
            raise CommandError(
                f"ONNX and PyTorch differ by {difference:.2e} (> {PARITY_TOLERANCE:g}); "
                "nothing written."
            )
        if licence is not None:
            (out / "LICENSE").write_bytes(licence)
        manifest = {
            "source": wheel.name,
            "licence": "Apache-2.0",
            "models": {
                "voice_encoder": {
                    "file": target.name,
                    "sha256": sha256_file(target),
                    "weights_sha256": hashlib.sha256(weights).hexdigest(),
                    "input": "mels (batch, frames, 40): mel power spectrogram, 25 ms / 10 ms",
                    "output": "embeddings (batch, 256), L2-normalised",
                    "max_abs_difference": difference,
                }
            },
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        self.stdout.write(f"{target}: parity with PyTorch {difference:.2e}")
        self.stdout.write(self.style.SUCCESS(f"Wrote {out / 'manifest.json'}"))
