"""The ONNX file a training run ships, and the sidecar, model card and result built on it.

Every trainer ends the same way: one file ``KIND-VERSION.onnx`` in the work folder, a sidecar
and a card that both begin with that file's identity, and a ``TrainResult`` pointing at them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from training import artifacts
from training.config import TrainResult


def model_stem(kind: str, version: str) -> str:
    return f"{kind}-{version}"


@dataclass(frozen=True)
class ShippedModel:
    kind: str
    version: str
    path: Path  # work folder / KIND-VERSION.onnx
    sha256: str
    variant: str = "fp32"

    @classmethod
    def of(cls, path: Path, *, kind: str, version: str, variant: str = "fp32") -> ShippedModel:
        """The model already written to ``path``."""
        return cls(kind, version, path, artifacts.sha256_file(path), variant)

    @classmethod
    def copy_of(
        cls, source: Path, *, work_dir: Path, kind: str, version: str, variant: str
    ) -> ShippedModel:
        """``source`` (one exported variant) copied to the shipped file's name."""
        path = work_dir / f"{model_stem(kind, version)}.onnx"
        artifacts.atomic_copy(source, path)
        return cls.of(path, kind=kind, version=version, variant=variant)

    @property
    def stem(self) -> str:
        return self.path.stem

    def sidecar(
        self,
        fields: Mapping[str, Any],
        *,
        metrics: Mapping[str, Any],
        training: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Format, identity and checksum, then the kind's ``fields``, its metrics, the card's
        name and how it was trained."""
        return {
            "format_version": artifacts.SIDECAR_FORMAT_VERSION,
            "kind": self.kind,
            "version": self.version,
            "onnx_file": self.path.name,
            "sha256": self.sha256,
            **fields,
            "metrics": metrics,
            "model_card": f"{self.stem}.md",
            "training": training,
        }

    def card(
        self, *, summary: str, output_description: str, details: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The model card: what the model is and which file, then the kind's ``details``."""
        return {
            "kind": self.kind,
            "version": self.version,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "summary": summary,
            "onnx_file": self.path.name,
            "sha256": self.sha256,
            "size_bytes": self.path.stat().st_size,
            "shipped_variant": self.variant,
            "output_description": output_description,
            **details,
        }

    def result(self, *, sidecar: dict[str, Any], card: dict[str, Any]) -> TrainResult:
        return TrainResult(
            kind=self.kind,
            version=self.version,
            stem=self.stem,
            work_dir=self.path.parent,
            sidecar=sidecar,
            card=card,
        )
