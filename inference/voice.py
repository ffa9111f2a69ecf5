"""Voice stress from a speech clip: speech gate, voice features, a small calibrated head.

The path of a clip (``analyse_speech`` then ``estimate``):

1. The voice-activity detector finds the speech; a clip with less than a second of it (noise,
   tones, hum, music, silence) is refused with ``InvalidMedia`` and never scored.
2. The pretrained voice embedding and the prosody measures of that speech
   (``inference.voice_features``).
3. The registered voice model, whose sidecar says ``"pipeline": "voice-features-v1"``, is the
   head: standardisation and logistic regression over the features its sidecar lists, with
   the calibration baked in, returning [P(not stressed), P(stressed)].

Older voice models (Wav2Vec2 on the waveform, no ``pipeline`` key) still take the gated,
normalised waveform (``preprocessing.prepare_waveform``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from inference import preprocessing, voice_features

PIPELINE = "voice-features-v1"


@dataclass(frozen=True)
class SpeechAnalysis:
    """The speech of one clip (16 kHz) and where in the clip it was."""

    speech: np.ndarray
    spans: tuple[tuple[int, int], ...]

    @property
    def seconds(self) -> float:
        return self.speech.size / voice_features.SAMPLE_RATE

    @cached_property
    def embedding(self) -> np.ndarray:
        return voice_features.embed(self.speech)

    @cached_property
    def prosody(self) -> dict[str, float]:
        return voice_features.prosody(self.speech, segments=list(self.spans))

    def features(self, names: Sequence[str]) -> np.ndarray:
        """(1, len(names)) float32 in the order the head expects; the embedding is only
        computed when one of its dimensions is asked for."""
        values: dict[str, float] = {}
        if any(name.startswith("embedding_") for name in names):
            values.update(
                zip(voice_features.EMBEDDING_FEATURES, self.embedding.tolist(), strict=True)
            )
        if any(name in voice_features.PROSODY_FEATURES for name in names):
            values.update(self.prosody)
        unknown = [name for name in names if name not in values]
        if unknown:
            raise ValueError(f"Unknown voice features {unknown[:3]}.")
        return np.array([[values[name] for name in names]], dtype=np.float32)


def analyse_speech(samples: np.ndarray, **params: Any) -> SpeechAnalysis:
    """Gate a decoded 16 kHz clip; ``params`` are the sidecar's preprocessing parameters.

    Raises ``InvalidMedia`` (too little speech, silence, empty) and ``ModelUnavailable`` (the
    speech detector is missing or altered).
    """
    options = preprocessing.waveform_options(params)
    if options["sample_rate"] != voice_features.SAMPLE_RATE:
        raise ValueError("The voice features are defined at 16 kHz.")
    speech, spans = preprocessing.gate_speech(samples, **options)
    return SpeechAnalysis(speech=speech, spans=tuple(spans))


def is_feature_model(metadata: dict) -> bool:
    return metadata.get("pipeline") == PIPELINE


def model_input(samples: np.ndarray, metadata: dict) -> np.ndarray:
    """What the voice model described by ``metadata`` takes for a decoded clip."""
    params = metadata.get("preprocessing", {})
    if is_feature_model(metadata):
        return analyse_speech(samples, **params).features(metadata["features"])
    return preprocessing.prepare_waveform(samples, **preprocessing.waveform_options(params))
