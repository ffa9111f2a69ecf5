"""The pretrained voice encoder of ``resemblyzer`` (GE2E, 3-layer LSTM, 256-d), as ONNX.

``resemblyzer`` ships its weights (``pretrained.pt``, Apache-2.0) inside its PyPI wheel. The
package itself wants ``webrtcvad`` and torch at run time, so the network is rebuilt here from
its published definition, loaded with the wheel's weights and exported once; the workers run
the ONNX file and compute the mel spectrogram in numpy (``inference.voice_features``).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import torch

from inference.voice_features import EMBEDDING_SIZE, MEL_CHANNELS, PARTIAL_FRAMES

WEIGHTS_MEMBER = "resemblyzer/pretrained.pt"
HIDDEN_SIZE = 256
LAYERS = 3
INPUT_NAME = "mels"
OUTPUT_NAME = "embeddings"


class VoiceEncoder(torch.nn.Module):
    """``resemblyzer.VoiceEncoder``'s network: the last hidden state of the top LSTM layer,
    projected, rectified and L2-normalised."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = torch.nn.LSTM(MEL_CHANNELS, HIDDEN_SIZE, LAYERS, batch_first=True)
        self.linear = torch.nn.Linear(HIDDEN_SIZE, EMBEDDING_SIZE)

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        _, (hidden, _) = self.lstm(mels)
        raw = torch.relu(self.linear(hidden[-1]))
        return raw / torch.linalg.vector_norm(raw, dim=1, keepdim=True).clamp_min(1e-12)


def read_weights(wheel: Path) -> tuple[bytes, bytes | None]:
    """``pretrained.pt`` and the licence from a resemblyzer wheel; raises ``ValueError``."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            try:
                weights = archive.read(WEIGHTS_MEMBER)
            except KeyError:
                raise ValueError(f"{wheel.name} has no {WEIGHTS_MEMBER}.") from None
            licences = [n for n in archive.namelist() if n.endswith(".dist-info/LICENSE")]
            licence = archive.read(licences[0]) if licences else None
    except (OSError, zipfile.BadZipFile) as exc:
        raise ValueError(f"Cannot read the wheel {wheel}: {exc}") from exc
    return weights, licence


def load_encoder(weights: bytes) -> VoiceEncoder:
    checkpoint = torch.load(io.BytesIO(weights), map_location="cpu", weights_only=True)
    state = checkpoint.get("model_state", checkpoint)
    model = VoiceEncoder()
    # The checkpoint also holds the GE2E similarity scale and bias, which inference never uses.
    missing, _ = model.load_state_dict(state, strict=False)
    if missing:
        raise ValueError(f"The voice encoder weights lack {missing}.")
    return model.eval()


def export(model: VoiceEncoder, target: Path) -> None:
    example = torch.zeros(2, PARTIAL_FRAMES, MEL_CHANNELS)
    with torch.no_grad():
        torch.onnx.export(
            model,
            (example,),
            str(target),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "batch", 1: "frames"}, OUTPUT_NAME: {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )


def parity(model: VoiceEncoder, target: Path, *, seed: int = 0) -> float:
    """Largest absolute difference between PyTorch and ONNX Runtime on random mel batches."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    worst = 0.0
    for batch in (1, 3):
        mels = rng.gamma(0.5, 2.0, size=(batch, PARTIAL_FRAMES, MEL_CHANNELS)).astype(np.float32)
        with torch.no_grad():
            expected = model(torch.from_numpy(mels)).numpy()
        got = session.run(None, {INPUT_NAME: mels})[0]
        worst = max(worst, float(np.max(np.abs(expected - got))))
    return worst


def from_onnx(path: Path) -> VoiceEncoder:
    """The PyTorch encoder with the weights of an exported ONNX file (the inverse of
    ``export``): lets the eager model be run and compared where only the ONNX ships. ONNX
    orders an LSTM's gates input, output, forget, cell; PyTorch input, forget, cell, output."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    weights = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    lstms = [node for node in graph.node if node.op_type == "LSTM"]
    if len(lstms) != LAYERS:
        raise ValueError(f"{path.name} has {len(lstms)} LSTM layers, expected {LAYERS}.")

    def torch_gates(array: np.ndarray) -> torch.Tensor:
        i, o, f, c = np.split(array, 4, axis=0)
        return torch.from_numpy(np.concatenate([i, f, c, o], axis=0).copy())

    state: dict[str, torch.Tensor] = {}
    for layer, node in enumerate(lstms):
        w, r, b = (weights[name][0] for name in node.input[1:4])
        state[f"lstm.weight_ih_l{layer}"] = torch_gates(w)
        state[f"lstm.weight_hh_l{layer}"] = torch_gates(r)
        state[f"lstm.bias_ih_l{layer}"] = torch_gates(b[: 4 * HIDDEN_SIZE])
        state[f"lstm.bias_hh_l{layer}"] = torch_gates(b[4 * HIDDEN_SIZE :])
    state["linear.weight"] = torch.from_numpy(weights["linear.weight"].copy())
    state["linear.bias"] = torch.from_numpy(weights["linear.bias"].copy())
    model = VoiceEncoder()
    model.load_state_dict(state)
    return model.eval()
