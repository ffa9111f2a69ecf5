"""Training runs: fingerprint, train, write sidecar and card, publish, register."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from training import artifacts, cards
from training.config import KINDS, TrainOptions, TrainResult
from training.datasets import fingerprint_files

FINGERPRINT_FILE = "fingerprint.json"


def _trainer(kind: str) -> ModuleType:
    """The kind's trainer module: ``data_files(options)`` and ``train(options)``."""
    if kind not in KINDS:
        raise ValueError(f"Unknown model kind {kind!r}; expected one of {', '.join(KINDS)}.")
    return importlib.import_module(f"training.{kind}")


def training_fingerprint(options: TrainOptions) -> str:
    module = _trainer(options.kind)
    return fingerprint_files(module.data_files(options), options.as_params())


def _write_outputs(result: TrainResult, reproduce: str) -> None:
    result.card["reproduce"] = reproduce
    result.sidecar["training"] = {**result.sidecar.get("training", {}), "command": reproduce}
    artifacts.write_model_card(result.work_dir, result.stem, result.card, cards.render_markdown)
    artifacts.atomic_write_json(result.work_dir / f"{result.stem}.json", result.sidecar)


def _load_previous(options: TrainOptions, fingerprint: str) -> TrainResult | None:
    marker = options.out_dir / FINGERPRINT_FILE
    if not marker.exists():
        return None
    recorded = json.loads(marker.read_text())
    stem = recorded.get("stem", "")
    onnx_path = options.out_dir / f"{stem}.onnx"
    sidecar_path = options.out_dir / f"{stem}.json"
    card_path = options.out_dir / f"{stem}.card.json"
    if recorded.get("fingerprint") != fingerprint or not (
        onnx_path.exists() and sidecar_path.exists() and card_path.exists()
    ):
        return None
    sidecar = json.loads(sidecar_path.read_text())
    if sidecar.get("sha256") != artifacts.sha256_file(onnx_path):
        return None
    return TrainResult(
        kind=options.kind,
        version=options.version,
        stem=stem,
        work_dir=options.out_dir,
        sidecar=sidecar,
        card=json.loads(card_path.read_text()),
        skipped=True,
    )


def training_run(
    *,
    options: TrainOptions,
    publish_dir: Path | None = None,
    register: bool = False,
    activate: bool = False,
    force: bool = False,
    reproduce: str = "",
    log: Callable[[str], None] = print,
) -> TrainResult:
    """Train one model kind end to end.

    Preconditions: the data folders exist in a layout the kind's loader reads.
    Side effects: writes checkpoints, the ONNX file, its sidecar and model card into
    ``options.out_dir``; copies the finished files into ``publish_dir/<kind>/`` when given;
    registers (and optionally activates) a ``ModelVersion`` when ``register``. When the data
    and parameters match the previous finished run in ``options.out_dir``, training is skipped
    and the earlier files are reused (``force`` retrains anyway).
    """
    module = _trainer(options.kind)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = training_fingerprint(options)
    result = None if force else _load_previous(options, fingerprint)
    if result is not None:
        log(f"{options.kind}: data and parameters unchanged, reusing {result.stem}.onnx")
        if reproduce and result.card.get("reproduce") != reproduce:
            _write_outputs(result, reproduce)
    else:
        result = module.train(options)
        _write_outputs(result, reproduce)
        artifacts.atomic_write_json(
            options.out_dir / FINGERPRINT_FILE,
            {"fingerprint": fingerprint, "stem": result.stem, "params": options.as_params()},
        )
    onnx_path = result.onnx_path
    if publish_dir is not None:
        onnx_path = artifacts.publish(result.work_dir, result.stem, publish_dir / options.kind)
        log(f"{options.kind}: published {onnx_path}")
    if register:
        from inference.registry import register_model_file

        version = register_model_file(onnx_path, activate=activate)
        log(f"{options.kind}: registered {version}")
    return result
