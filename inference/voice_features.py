"""What a speech clip sounds like, as numbers: a pretrained voice embedding and prosody.

Both are computed from the speech the voice-activity detector found (``inference.vad``), never
from pauses, noise or the silence around it.

- **Embedding**: resemblyzer's pretrained GE2E voice encoder (3-layer LSTM, 256-d, Apache-2.0),
  converted to ONNX by ``manage.py convert_voice_encoder`` (``models/voice_encoder/``). Its
  40-band mel front end (``resemblyzer.audio``, built on librosa) is ported to numpy here, so
  the workers need neither librosa nor torch.
- **Prosody**: pitch and its variability, voicing, jitter and shimmer estimates, harmonicity,
  loudness dynamics, spectral balance (vocal effort), speaking rate and pauses.

All prosody measures are relative (semitones, dB ratios, shares, rates), so they do not depend
on how loud the microphone is.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from inference import sessions
from inference.errors import ModelUnavailable
from inference.sessions import Problem

SAMPLE_RATE = 16000
MEL_CHANNELS = 40
MEL_WINDOW = 400  # 25 ms
MEL_HOP = 160  # 10 ms
PARTIAL_FRAMES = 160  # 1.6 s of mel frames per partial utterance
PARTIAL_RATE = 1.3  # partial utterances per second
MIN_PARTIAL_COVERAGE = 0.75
EMBEDDING_SIZE = 256
LOUDNESS_TARGET_DBFS = -30.0
INT16_MAX = 2**15 - 1
ENCODER = "voice_encoder"

PITCH_FRAME = 800  # 50 ms: three periods of the lowest pitch searched
PITCH_HOP = 160
MIN_F0 = 60.0
MAX_F0 = 450.0
OCTAVE_COST = 0.01  # per octave, favours the shorter of two equally strong periods (Praat)
VOICING_THRESHOLD = 0.45  # normalised autocorrelation peak (Praat's default)
SILENT_FRAME_DB = 35.0  # frames this far below the loudest are not used for pitch
PITCH_LOW_LAG = int(SAMPLE_RATE / MAX_F0)
PITCH_HIGH_LAG = int(SAMPLE_RATE / MIN_F0)
# The autocorrelation by FFT is exact up to lag n - frame length: 1080 (2^3 * 3^3 * 5, a fast
# length) is the shortest that covers the longest lag searched.
PITCH_FFT_SIZE = 1080
# Frames per FFT batch: small enough that the batch stays in the CPU cache (a whole clip at
# once was three times slower, most of it spent moving memory).
PITCH_BLOCK = 64
PAUSE_SECONDS = 0.15

PROSODY_FEATURES = (
    "f0_median_st",
    "f0_iqr_st",
    "f0_range_st",
    "f0_slope_st_per_s",
    "voiced_share",
    "jitter",
    "shimmer_db",
    "hnr_db",
    "loudness_std_db",
    "loudness_range_db",
    "alpha_ratio_db",
    "hammarberg_db",
    "spectral_centroid_log",
    "spectral_flux",
    "syllable_rate",
    "pause_share",
    "pause_rate",
    "mean_phrase_s",
)
EMBEDDING_FEATURES = tuple(f"embedding_{index}" for index in range(EMBEDDING_SIZE))


# --- Mel spectrogram (resemblyzer.audio.wav_to_mel_spectrogram, in numpy) ---------------------


def _hz_to_mel(hz: float | np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default): linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log_region = hz >= 1000.0
    return np.where(
        log_region, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27), mel
    )


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    hz = mel * (200.0 / 3)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27) * (mel - 15.0)), hz)


@lru_cache(maxsize=1)
def mel_filterbank() -> np.ndarray:
    """(40, 201) triangular filters, area-normalised: ``librosa.filters.mel(sr=16000,
    n_fft=400, n_mels=40)``."""
    bins = 1 + MEL_WINDOW // 2
    fft_freqs = np.linspace(0, SAMPLE_RATE / 2, bins)
    mel_points = _mel_to_hz(
        np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2), MEL_CHANNELS + 2)
    )
    widths = np.diff(mel_points)
    ramps = mel_points[:, np.newaxis] - fft_freqs[np.newaxis, :]
    lower = -ramps[:-2] / widths[:-1, np.newaxis]
    upper = ramps[2:] / widths[1:, np.newaxis]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_points[2:] - mel_points[:-2]))[:, np.newaxis]
    return weights


def _frames(samples: np.ndarray, *, length: int, hop: int, center: bool) -> np.ndarray:
    audio = np.asarray(samples, dtype=np.float64).reshape(-1)
    if center:
        audio = np.pad(audio, length // 2)
    if audio.size < length:
        audio = np.pad(audio, (0, length - audio.size))
    count = 1 + (audio.size - length) // hop
    return np.lib.stride_tricks.sliding_window_view(audio, length)[::hop][:count]


def power_spectrogram(
    samples: np.ndarray, *, window: int = MEL_WINDOW, hop: int = MEL_HOP
) -> np.ndarray:
    """|STFT|² with a periodic Hann window, centred frames zero-padded: (frames, window/2+1)."""
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(window) / window)
    frames = _frames(samples, length=window, hop=hop, center=True)
    return np.abs(np.fft.rfft(frames * hann, axis=1)) ** 2


def mel_spectrogram(samples: np.ndarray) -> np.ndarray:
    """(frames, 40) float32 mel power spectrogram of 16 kHz samples (not log), as the encoder
    was trained on."""
    return (power_spectrogram(samples) @ mel_filterbank().T).astype(np.float32)


def normalise_loudness(samples: np.ndarray) -> np.ndarray:
    """Raise (never lower) the level to -30 dBFS RMS, as resemblyzer's preprocessing does."""
    audio = np.asarray(samples, dtype=np.float32)
    rms = float(np.sqrt(np.mean((audio.astype(np.float64) * INT16_MAX) ** 2)))
    if rms <= 0:
        return audio
    change_db = LOUDNESS_TARGET_DBFS - 20 * np.log10(rms / INT16_MAX)
    return audio if change_db < 0 else (audio * 10 ** (change_db / 20)).astype(np.float32)


def partial_slices(n_samples: int) -> list[slice]:
    """Mel-frame windows of 1.6 s, 1.3 per second, covering the clip (resemblyzer's
    ``compute_partial_slices``): the last one is kept when at least 75% of it is speech."""
    n_frames = int(np.ceil((n_samples + 1) / MEL_HOP))
    step = int(np.round((SAMPLE_RATE / PARTIAL_RATE) / MEL_HOP))
    steps = max(1, n_frames - PARTIAL_FRAMES + step + 1)
    slices = [slice(i, i + PARTIAL_FRAMES) for i in range(0, steps, step)]
    last = slices[-1]
    coverage = (n_samples - last.start * MEL_HOP) / (PARTIAL_FRAMES * MEL_HOP)
    if coverage < MIN_PARTIAL_COVERAGE and len(slices) > 1:
        slices = slices[:-1]
    return slices


# --- Encoder -------------------------------------------------------------------------------


def encoder_dir() -> Path:
    return Path(settings.VOICE_ENCODER_DIR)


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(f"The voice encoder is missing ({path}): {exc}") from exc
    return manifest


def _refusal(model: sessions.ModelFile, problem: Problem, error: str) -> str:
    if problem == "unloadable":
        return f"The voice encoder {model.path} could not be loaded: {error}"
    return f"The voice encoder {model.path} is missing or altered."


def _model() -> sessions.ModelFile:
    """The encoder file of ``VOICE_ENCODER_DIR``, as its manifest lists it."""
    folder = encoder_dir()
    manifest = _manifest(folder)
    return sessions.listed_model(
        folder,
        manifest,
        ENCODER,
        version=str(manifest.get("source", ENCODER)),
        refusal=_refusal,
        unlisted=f"The voice encoder is not in {folder / 'manifest.json'}.",
    )


def _session() -> Any:
    """The encoder's session (``inference.sessions``), for ``settings.VOICE_ENCODER_DIR``."""
    return sessions.get(_model()).session


def reset() -> None:
    """Forget the encoder's session and cached checksums (tests, or after the files changed)."""
    sessions.reset(ENCODER)


def load() -> str:
    """Build the encoder session now (worker warm-up); returns its source. Raises
    ``ModelUnavailable``."""
    return sessions.get(_model()).version


def status() -> dict[str, Any]:
    """Health of the bundled encoder (``sessions.report``), without building a session."""
    try:
        model = _model()
    except ModelUnavailable as exc:
        return sessions.report(False, None, None, False, exc.message)
    return sessions.health(model)


def embed(speech: np.ndarray) -> np.ndarray:
    """The 256-d, L2-normalised voice embedding of 16 kHz speech: the mean of the embeddings
    of its 1.6 s partial utterances. Raises ``ModelUnavailable``."""
    partials = _session().run(None, {"mels": partial_mels(speech)})[0]
    return mean_embedding(partials)


def partial_mels(speech: np.ndarray) -> np.ndarray:
    """(partials, 160, 40) float32: the encoder's input for 16 kHz speech."""
    audio = normalise_loudness(speech)
    slices = partial_slices(audio.size)
    needed = slices[-1].stop * MEL_HOP
    if needed > audio.size:
        audio = np.pad(audio, (0, needed - audio.size))
    mel = mel_spectrogram(audio)
    return np.stack([mel[s] for s in slices]).astype(np.float32)


def mean_embedding(partials: np.ndarray) -> np.ndarray:
    """The L2-normalised mean of the partial utterances' embeddings."""
    mean = np.asarray(partials, dtype=np.float64).mean(axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)


# --- Prosody ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pitch:
    f0: np.ndarray  # Hz per frame, NaN where unvoiced
    strength: np.ndarray  # normalised autocorrelation peak per frame
    loudness_db: np.ndarray  # frame RMS in dB
    peak: np.ndarray  # frame peak amplitude


@lru_cache(maxsize=1)
def _pitch_window() -> np.ndarray:
    return np.hanning(PITCH_FRAME)


def _autocorrelation(frames: np.ndarray) -> np.ndarray:
    """Each Hann-windowed frame's autocorrelation for lags 0 to ``PITCH_FFT_SIZE`` - 1, of
    which lags up to ``PITCH_HIGH_LAG`` are free of wrap-around."""
    spectrum = np.fft.rfft(frames * _pitch_window(), n=PITCH_FFT_SIZE, axis=1)
    return np.fft.irfft(spectrum.real**2 + spectrum.imag**2, n=PITCH_FFT_SIZE, axis=1)


@lru_cache(maxsize=1)
def _window_autocorrelation() -> np.ndarray:
    """The Hann window's own autocorrelation over the searched lags, relative to lag 0."""
    acf = _autocorrelation(np.ones((1, PITCH_FRAME)))[0]
    return np.maximum(acf[PITCH_LOW_LAG : PITCH_HIGH_LAG + 1] / acf[0], 1e-6)


def track_pitch(speech: np.ndarray) -> Pitch:
    """Autocorrelation pitch tracking (Boersma 1993): Hann-windowed 50 ms frames every 10 ms,
    the frame's autocorrelation divided by the window's, the highest peak between 60 and
    450 Hz (less an octave cost) refined by a parabola. A frame is voiced when that peak
    reaches 0.45 and the frame is within 35 dB of the loudest one."""
    frames = _frames(speech, length=PITCH_FRAME, hop=PITCH_HOP, center=False)
    frames = frames - frames.mean(axis=1, keepdims=True)
    search = np.empty((frames.shape[0], PITCH_HIGH_LAG + 1 - PITCH_LOW_LAG))
    for start in range(0, frames.shape[0], PITCH_BLOCK):
        acf = _autocorrelation(frames[start : start + PITCH_BLOCK])
        energy = acf[:, :1]
        search[start : start + PITCH_BLOCK] = np.where(
            energy > 0, acf[:, PITCH_LOW_LAG : PITCH_HIGH_LAG + 1] / np.maximum(energy, 1e-20), 0
        )
    search /= _window_autocorrelation()
    # A periodic frame correlates as well at two periods as at one: without the octave cost
    # the tracker reports half the pitch.
    periods = np.arange(PITCH_LOW_LAG, PITCH_HIGH_LAG + 1) / SAMPLE_RATE
    best = np.argmax(search - OCTAVE_COST * np.log2(MIN_F0 * periods), axis=1)
    strength = search[np.arange(len(best)), best]
    lag = (best + PITCH_LOW_LAG).astype(np.float64)
    inner = (best > 0) & (best < search.shape[1] - 1)
    rows = np.arange(len(best))[inner]
    left, centre, right = (search[rows, best[inner] + d] for d in (-1, 0, 1))
    denominator = left - 2 * centre + right
    shift = np.where(np.abs(denominator) > 1e-12, 0.5 * (left - right) / denominator, 0.0)
    lag[inner] += np.clip(shift, -0.5, 0.5)
    rms = np.sqrt(np.einsum("ij,ij->i", frames, frames) / PITCH_FRAME)
    loudness = 20 * np.log10(np.maximum(rms, 1e-10))
    audible = loudness >= loudness.max() - SILENT_FRAME_DB
    voiced = (strength >= VOICING_THRESHOLD) & audible
    f0 = np.where(voiced, SAMPLE_RATE / lag, np.nan)
    return Pitch(
        f0=f0,
        strength=np.clip(strength, 0, 0.9999),
        loudness_db=loudness,
        peak=np.abs(frames).max(axis=1),
    )


def _semitones(hz: np.ndarray) -> np.ndarray:
    return 12 * np.log2(hz / 100.0)


def _syllable_rate(loudness_db: np.ndarray, voiced: np.ndarray, seconds: float) -> float:
    """Syllable nuclei per second: voiced peaks of the smoothed loudness at least 2 dB above
    the dip before them and 100 ms apart (after de Jong & Wempe 2009)."""
    if seconds <= 0 or loudness_db.size < 3:
        return 0.0
    smooth = np.convolve(loudness_db, np.ones(5) / 5, mode="same")
    count, last, dip = 0, -10, smooth[0]
    for index in range(1, smooth.size - 1):
        dip = min(dip, smooth[index])
        is_peak = smooth[index] >= smooth[index - 1] and smooth[index] > smooth[index + 1]
        if is_peak and voiced[index] and smooth[index] - dip >= 2.0 and index - last >= 10:
            count, last, dip = count + 1, index, smooth[index]
    return count / seconds


def prosody(speech: np.ndarray, *, segments: list[tuple[int, int]]) -> dict[str, float]:
    """The ``PROSODY_FEATURES`` of 16 kHz ``speech`` (the detected segments joined);
    ``segments`` are their (start, end) sample positions in the original clip."""
    pitch = track_pitch(speech)
    voiced = np.isfinite(pitch.f0)
    semitones = _semitones(pitch.f0[voiced]) if voiced.any() else np.zeros(1)
    speech_seconds = speech.size / SAMPLE_RATE
    if voiced.sum() >= 2:
        times = np.flatnonzero(voiced) * PITCH_HOP / SAMPLE_RATE
        slope = float(np.polyfit(times, semitones, 1)[0])
    else:
        slope = 0.0

    periods = 1.0 / pitch.f0[voiced] if voiced.any() else np.zeros(0)
    steps = np.abs(np.diff(periods)) if periods.size > 1 else np.zeros(0)
    steady = steps < 0.2 * periods[:-1] if periods.size > 1 else np.zeros(0, dtype=bool)
    jitter = float(steps[steady].mean() / periods.mean()) if steady.any() else 0.0
    peaks_db = 20 * np.log10(np.maximum(pitch.peak[voiced], 1e-10))
    shimmer = float(np.abs(np.diff(peaks_db)).mean()) if peaks_db.size > 1 else 0.0
    strength = pitch.strength[voiced]
    hnr = float(np.median(10 * np.log10(strength / (1 - strength)))) if strength.size else 0.0

    audible = pitch.loudness_db >= pitch.loudness_db.max() - SILENT_FRAME_DB
    loud = pitch.loudness_db[audible]

    spectrum = power_spectrogram(speech, window=512, hop=PITCH_HOP)
    freqs = np.fft.rfftfreq(512, 1 / SAMPLE_RATE)
    frames = spectrum[: min(len(spectrum), len(voiced))]
    chosen = frames[voiced[: len(frames)]] if voiced.any() else frames
    band = chosen.sum(axis=0) + 1e-12

    def band_energy(lo: float, hi: float) -> float:
        return float(band[(freqs >= lo) & (freqs < hi)].sum())

    def band_peak(lo: float, hi: float) -> float:
        return float(band[(freqs >= lo) & (freqs < hi)].max())

    alpha = 10 * np.log10(band_energy(1000, 5000) / band_energy(50, 1000))
    hammarberg = 10 * np.log10(band_peak(0, 2000) / band_peak(2000, 5000))
    centroid = float((band * freqs).sum() / band.sum())
    log_spectra = np.log(spectrum + 1e-10)
    flux = float(np.mean(np.abs(np.diff(log_spectra, axis=0)))) if len(spectrum) > 1 else 0.0

    spans = sorted(segments)
    span = (spans[-1][1] - spans[0][0]) / SAMPLE_RATE if spans else speech_seconds
    gaps = [(b[0] - a[1]) / SAMPLE_RATE for a, b in itertools.pairwise(spans)]
    pauses = [g for g in gaps if g >= PAUSE_SECONDS]
    span = max(span, speech_seconds, 1e-6)
    return {
        "f0_median_st": float(np.median(semitones)),
        "f0_iqr_st": float(np.subtract(*np.percentile(semitones, [75, 25]))),
        "f0_range_st": float(np.subtract(*np.percentile(semitones, [95, 5]))),
        "f0_slope_st_per_s": slope,
        "voiced_share": float(voiced.mean()) if voiced.size else 0.0,
        "jitter": jitter,
        "shimmer_db": shimmer,
        "hnr_db": hnr,
        "loudness_std_db": float(loud.std()) if loud.size else 0.0,
        "loudness_range_db": float(np.subtract(*np.percentile(loud, [95, 5])))
        if loud.size
        else 0.0,
        "alpha_ratio_db": float(alpha),
        "hammarberg_db": float(hammarberg),
        "spectral_centroid_log": float(np.log(max(centroid, 1.0))),
        "spectral_flux": flux,
        "syllable_rate": _syllable_rate(pitch.loudness_db, voiced, speech_seconds),
        "pause_share": float(sum(pauses) / span),
        "pause_rate": float(len(pauses) / span),
        "mean_phrase_s": float(speech_seconds / max(1, len(spans))),
    }
