"""Model files: atomic writes, sidecars, parity checks, model cards and publishing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

SIDECAR_FORMAT_VERSION = 1
PARITY_TOLERANCE = 1e-4


class ParityError(RuntimeError):
    """The exported ONNX model does not reproduce the framework model's outputs."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, payload: Mapping[str, object]) -> None:
    text = json.dumps(payload, indent=2, sort_keys=False, default=_json_default) + "\n"
    atomic_write_bytes(path, text.encode())


def atomic_copy(src: Path, dst: Path) -> None:
    atomic_write_bytes(dst, Path(src).read_bytes())


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"Not JSON serialisable: {type(value).__name__}")


class OnnxSession(Protocol):
    """What the trainers use of an ``onnxruntime.InferenceSession``."""

    def run(
        self, output_names: Sequence[str] | None, input_feed: Mapping[str, np.ndarray]
    ) -> list[np.ndarray]: ...


def ort_session(path: Path, *, threads: int = 1) -> OnnxSession:
    """A session with the server's options (``inference.sessions``: exact int8 kernels), so a
    model is evaluated the way it will score check-ins."""
    from inference.sessions import new_session

    session: OnnxSession = new_session(path, threads=threads)
    return session


def check_parity(
    onnx_path: Path,
    input_name: str,
    samples: list[np.ndarray],
    reference: Callable[[np.ndarray], np.ndarray],
    *,
    tolerance: float = PARITY_TOLERANCE,
) -> float:
    """Max abs difference between ONNX and framework outputs; raises ParityError above tolerance."""
    session = ort_session(onnx_path)
    worst = 0.0
    for sample in samples:
        got = np.asarray(session.run(None, {input_name: sample})[0], dtype=np.float64)
        want = np.asarray(reference(sample), dtype=np.float64).reshape(got.shape)
        worst = max(worst, float(np.max(np.abs(got - want))))
    if worst > tolerance:
        raise ParityError(
            f"ONNX export differs from the framework model by {worst:.2e} "
            f"(allowed {tolerance:.0e}) on held-out samples."
        )
    return worst


def write_model_card(
    directory: Path, stem: str, card: Mapping, render: Callable[[Mapping], str]
) -> tuple[Path, Path]:
    md_path = directory / f"{stem}.md"
    json_path = directory / f"{stem}.card.json"
    atomic_write_json(json_path, card)
    atomic_write_bytes(md_path, render(card).encode())
    return md_path, json_path


def publish(
    work_dir: Path, stem: str, target_dir: Path, *, extra_suffixes: tuple[str, ...] = ()
) -> Path:
    """Copy a finished model (ONNX, sidecar, card) into ``target_dir``; returns the ONNX path.

    The ONNX file goes first and the sidecar last, so a reader that finds the sidecar finds a
    complete model.
    """
    target_dir.mkdir(parents=True, exist_ok=True)
    for suffix in (".onnx", *extra_suffixes, ".md", ".card.json", ".json"):
        src = work_dir / f"{stem}{suffix}"
        if src.exists() and src.resolve() != (target_dir / src.name).resolve():
            atomic_copy(src, target_dir / src.name)
    return target_dir / f"{stem}.onnx"


def remove_tree(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
