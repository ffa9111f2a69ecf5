"""The one owner of the ONNX Runtime sessions of a process: options, integrity, cache, health.

Every model the server runs comes through here: the registered models by kind
(``inference.runtime``), the bundled speech detector (``inference.vad``), the face models
(``inference.face_models``) and the voice encoder (``inference.voice_features``). A caller
names the model and says which file it expects and what that file must hash to
(``ModelFile``). ``get`` builds the session lazily, once, under a lock, from the very bytes
whose sha256 it checked, and builds it again when the caller asks for another file, digest or
version; a missing, altered or unloadable file raises ``ModelUnavailable`` in the caller's
words. ``health`` reports a model in the shape /healthz shows without building a session; file
digests are cached by (path, size, mtime_ns) so health checks don't rehash unchanged files.

Training and the benchmarks build their own, unverified sessions with ``new_session``, so every
session of the project runs with the same options. This module never imports torch, and no
Django model: it can be imported before the apps are ready.
"""

from __future__ import annotations

import functools
import hashlib
import platform
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from django.conf import settings

from inference.errors import ModelUnavailable

X64_QUANT_PRECISION = "session.x64quantprecision"

# Why a model file cannot be used; a ``Refusal`` turns it into the caller's message.
Problem = Literal["missing", "altered", "unloadable"]
# (model, problem, ONNX Runtime's reason or "") -> the ModelUnavailable message.
Refusal = Callable[["ModelFile", Problem, str], str]


@dataclass(frozen=True)
class ModelFile:
    """One ONNX file a caller wants a session of.

    ``name`` keys the cache (a model kind, ``vad``, a face model's name...); the session held
    under it is reused while ``path``, ``sha256`` and ``version`` stay the same. ``version`` is
    what health reports. ``refusal`` words the errors of this model's family.
    """

    name: str
    path: Path
    sha256: str
    version: str
    refusal: Refusal = field(compare=False, repr=False)


def listed_model(
    folder: Path,
    manifest: dict[str, Any],
    name: str,
    *,
    version: str,
    refusal: Refusal,
    unlisted: str,
) -> ModelFile:
    """The bundled model ``name`` as ``folder``'s manifest lists it (``{"models": {name:
    {"file", "sha256"}}}``); ``ModelUnavailable(unlisted)`` when the manifest does not."""
    entry = manifest.get("models", {}).get(name)
    if not isinstance(entry, dict) or "file" not in entry or "sha256" not in entry:
        raise ModelUnavailable(unlisted)
    return ModelFile(
        name=name,
        path=folder / entry["file"],
        sha256=entry["sha256"],
        version=version,
        refusal=refusal,
    )


@dataclass
class LoadedModel:
    """A model with its session; ``run`` feeds one input and returns the first (or the
    declared) output. ``metadata`` is what the caller read once when the session was built."""

    model: ModelFile
    session: Any = field(repr=False)  # onnxruntime ships no type information
    metadata: dict[str, Any]
    input_name: str
    output_name: str | None = None

    @property
    def kind(self) -> str:
        """The cache name: a registered model's kind."""
        return self.model.name

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def sha256(self) -> str:
        return self.model.sha256

    @property
    def path(self) -> Path:
        return self.model.path

    def run(self, array: np.ndarray) -> np.ndarray:
        outputs = [self.output_name] if self.output_name else None
        result: np.ndarray = self.session.run(outputs, {self.input_name: array})[0]
        return result


_lock = threading.Lock()
_loaded: dict[str, LoadedModel] = {}
# (path, size, mtime_ns) -> sha256, so health checks don't rehash unchanged files.
_hashes: dict[tuple[str, int, int], str] = {}


# A model's ``quantization`` (its sidecar) when its int8 weights use 7 bits (ONNX Runtime's
# ``reduce_range``): pairs of u8 x s7 products fit 16 bits, so the fast kernels are exact on
# every CPU and such a model never needs the slow exact ones.
REDUCED_RANGE_QUANTIZATION = "static-qdq-int8-reduced-range"


def session_options(*, threads: int | None = None, exact_int8: bool | None = None) -> Any:
    """The options of every session: ``threads`` intra-op threads (default
    ``ORT_INTRA_OP_THREADS``), one inter-op thread, sequential, every graph optimisation, and
    exact int8 kernels where the CPU needs them (``exact_int8_kernels_needed``) unless
    ``exact_int8`` is False (a model whose int8 weights cannot saturate the fast ones)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # Worker concurrency x intra-op threads must not exceed the cores, or models fight for them.
    options.intra_op_num_threads = settings.ORT_INTRA_OP_THREADS if threads is None else threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    if exact_int8 is not False and exact_int8_kernels_needed():
        options.add_session_config_entry(X64_QUANT_PRECISION, "1")
    return options


# CPU flags (Linux /proc/cpuinfo names) whose int8 dot products sum in 32 bits.
VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})


@functools.cache
def cpu_flags() -> frozenset[str] | None:
    """This x86 CPU's feature flags from ``/proc/cpuinfo``; None where they cannot be read."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return None


def exact_int8_kernels_needed(
    *, setting: str | None = None, machine: str | None = None, flags: frozenset[str] | None = None
) -> bool:
    """Whether sessions need ONNX Runtime's exact int8 kernels (``session.x64quantprecision``).

    On x86 without VNNI (AVX2, AVX-512 without VNNI) the default U8S8 kernel adds pairs of
    products in saturating 16-bit lanes, which moved the int8 fatigue CNN's P(fatigued) by up
    to 0.03 on the test photos; there the exact kernel is required and costs no measurable time
    on a check-in's 3-crop batch. With VNNI the default kernel sums in 32 bits (exact, as the
    browser's WebAssembly does) and the exact one is about 3 times slower, so it is left off;
    other architectures (ARM's dot-product kernels) sum exactly too. ``ORT_EXACT_INT8``
    (``auto``, ``on``, ``off``) overrides; where the flags cannot be read, ``auto`` is exact.
    """
    choice = (setting if setting is not None else settings.ORT_EXACT_INT8).lower()
    if choice in ("on", "off"):
        return choice == "on"
    machine = (machine if machine is not None else platform.machine()).lower()
    if machine not in ("x86_64", "amd64", "i686", "x86"):
        return False
    flags = flags if flags is not None else cpu_flags()
    return flags is None or not (flags & VNNI_FLAGS)


def new_session(
    source: Path | bytes, *, threads: int | None = None, exact_int8: bool | None = None
) -> Any:
    """An uncached, unverified CPU session of an ONNX file or its bytes, with
    ``session_options`` (training, benchmarks, registration checks)."""
    import onnxruntime

    model = source if isinstance(source, bytes) else str(source)
    return onnxruntime.InferenceSession(
        model,
        sess_options=session_options(threads=threads, exact_int8=exact_int8),
        providers=["CPUExecutionProvider"],
    )


def sha256_of(path: Path, *, chunk_size: int = 1024 * 1024) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """``sha256_of(path)``, remembered while the file's size and mtime stay the same."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    digest = _hashes.get(key)
    if digest is None:
        digest = sha256_of(path)
        _hashes[key] = digest
    return digest


def get(model: ModelFile, *, metadata: Callable[[], dict[str, Any]] | None = None) -> LoadedModel:
    """``model`` with a ready session, built on first use; raises ``ModelUnavailable``.

    ``metadata`` is called once, when the session is built (a registered model's sidecar).
    """
    cached = _loaded.get(model.name)
    if cached is not None and cached.model == model:
        return cached
    with _lock:
        cached = _loaded.get(model.name)
        if cached is not None and cached.model == model:
            return cached
        loaded = _load(model, metadata() if metadata is not None else {})
        _loaded[model.name] = loaded
        return loaded


def _load(model: ModelFile, metadata: dict[str, Any]) -> LoadedModel:
    try:
        data = model.path.read_bytes()
    except OSError:
        raise ModelUnavailable(model.refusal(model, "missing", "")) from None
    if hashlib.sha256(data).hexdigest() != model.sha256:
        raise ModelUnavailable(model.refusal(model, "altered", ""))
    try:
        # Built from the bytes that were checked, not from a second read of the file.
        reduced = metadata.get("quantization") == REDUCED_RANGE_QUANTIZATION
        session = new_session(data, exact_int8=False if reduced else None)
    except Exception as exc:  # onnxruntime raises untyped errors for unloadable graphs
        raise ModelUnavailable(model.refusal(model, "unloadable", str(exc))) from exc
    return LoadedModel(
        model=model,
        session=session,
        metadata=metadata,
        input_name=metadata.get("input_name") or session.get_inputs()[0].name,
        output_name=metadata.get("output_name"),
    )


def is_loaded(model: ModelFile) -> bool:
    """Whether this process holds a session of exactly this file, digest and version."""
    cached = _loaded.get(model.name)
    return cached is not None and cached.model == model


def loaded() -> dict[str, str]:
    """Name -> version of the sessions this process holds."""
    return {name: entry.version for name, entry in _loaded.items()}


def reset(*names: str) -> None:
    """Drop the sessions of ``names`` (every session when none is named) and forget every
    cached digest (tests, or after replacing files on disk)."""
    with _lock:
        for name in names or list(_loaded):
            _loaded.pop(name, None)
        _hashes.clear()


def health(model: ModelFile) -> dict[str, Any]:
    """Health of ``model`` without building a session (see ``report``)."""
    loaded = is_loaded(model)
    try:
        digest = file_sha256(model.path)
    except OSError:
        return report(False, model.version, None, loaded, f"file missing: {model.path}")
    if digest != model.sha256:
        return report(False, model.version, False, loaded, "sha256 mismatch")
    return report(True, model.version, True, loaded, None)


def report(
    ok: bool, version: str | None, sha256_ok: bool | None, loaded: bool, error: str | None
) -> dict[str, Any]:
    """One model's entry in /healthz. ``sha256_ok`` is None when there is no file to check;
    ``loaded`` says whether this process holds a session of that exact file."""
    return {"ok": ok, "version": version, "sha256_ok": sha256_ok, "loaded": loaded, "error": error}
