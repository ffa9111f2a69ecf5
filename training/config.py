"""Options shared by the trainers and the result they hand back."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("fatigue", "voice", "burnout")
CONFIGS = ("tiny", "small", "base")


@dataclass(frozen=True)
class TrainOptions:
    kind: str
    data_dirs: tuple[Path, ...]
    out_dir: Path  # work folder: checkpoints, fingerprint, exported files before publishing
    version: str
    epochs: int | None = None  # None: the config's default
    config: str = "small"
    pretrained: Path | None = None
    seed: int = 7
    max_samples: int | None = None  # cap per class/subset for quick runs
    batch_size: int | None = None
    threads: int = 1
    scheme: str = "binary"  # voice: "binary" stress or "emotion8" with per-class weights
    # voice: "features" (pretrained embedding + prosody, a calibrated head) or "wav2vec2"
    architecture: str = "features"
    # Speakers to hold out as the test part instead of the seeded split (cross-validation).
    held_out: tuple[str, ...] = ()
    quantize: bool = True
    progress: bool = True

    def as_params(self) -> dict:
        """Everything that changes the trained model (for the skip-if-unchanged fingerprint)."""
        return {
            "kind": self.kind,
            "version": self.version,
            "epochs": self.epochs,
            "config": self.config,
            "pretrained": str(self.pretrained) if self.pretrained else None,
            "seed": self.seed,
            "max_samples": self.max_samples,
            "batch_size": self.batch_size,
            "scheme": self.scheme,
            "architecture": self.architecture,
            "held_out": list(self.held_out),
            "quantize": self.quantize,
        }


@dataclass
class TrainResult:
    kind: str
    version: str
    stem: str
    work_dir: Path
    sidecar: dict
    card: dict
    skipped: bool = False
    log: list[str] = field(default_factory=list)

    @property
    def onnx_path(self) -> Path:
        return self.work_dir / f"{self.stem}.onnx"
