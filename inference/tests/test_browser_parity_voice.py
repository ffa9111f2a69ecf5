"""The on-device voice scorer (static/js/private/voice.mjs, ONNX Runtime Web in headless
Chromium) gives the server's answer: same speech spans, same features, same P(stressed), and
the same refusals for clips without speech.

Measured on the four committed clips and one pitch-shifted (Chromium, ONNX Runtime Web 1.31.1,
one wasm thread): max |P(stressed) browser - server| = 1.3e-6, embedding within 2.1e-7, and
all 18 prosody features identical once rounded to float32 as the head's input is. The speech
spans are identical. ``test_report`` prints the numbers of a run (``-s``).

The same holds from the bytes up for what MediaRecorder records (WebM/Opus): each committed
clip is played through Chromium's fake microphone, recorded as the check-in page records it,
and the recording is scored by the page's private-mode code and by ``services.score_audio``.
Both decode the Opus at 48 kHz with FFmpeg's decoder and resample it with the same filter
(``inference.resampling``): the 16 kHz samples agree within 2.4e-7 and the scores within
1.1e-6. When the browser let decodeAudioData resample to 16 kHz and the server let ffmpeg do
it (two different filters, apart by up to 6 dB between 5 and 8 kHz), the same recordings
scored 0.010-0.025 apart.
"""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
import soxr
from django.conf import settings

from conftest import CHROMIUM_ARGS, CHROMIUM_PATH
from inference import preprocessing, services, sessions, voice, voice_features
from inference.errors import InvalidMedia
from inference.registry import register_model_file
from inference.tests import browser_origin

pytestmark = [pytest.mark.browser]

ROOT = Path(settings.BASE_DIR)
SPEECH_DIR = Path(__file__).parent / "fixtures" / "speech"
SIDECAR_PATH = ROOT / "models" / "voice" / "voice-starter-2026.12.1.json"
MODEL_FILES = {
    "vad": ROOT / "models" / "vad" / "silero_vad.onnx",
    "encoder": ROOT / "models" / "voice_encoder" / "voice_encoder.onnx",
    "head": SIDECAR_PATH.parent / json.loads(SIDECAR_PATH.read_text())["onnx_file"],
}
MODEL_URL = "/__voice-models__/{}.onnx"
RATE = 16000

MAX_PROBABILITY_DIFFERENCE = 0.01
# Far above what was measured (see the module docstring), far below what would matter.
MAX_EMBEDDING_DIFFERENCE = 1e-4
MAX_PROSODY_DIFFERENCE = 1e-5  # relative to max(1, |value|)
# Opus decoded by two builds of FFmpeg's decoder, then float32 rounding in the resampler.
MAX_RECORDED_SAMPLE_DIFFERENCE = 1e-5

CLIPS = sorted(path.stem for path in SPEECH_DIR.glob("*.wav"))
PITCH_SHIFTED = "good-morning, pitch x1.25"

# Filled by the tests, printed by test_report.
_measured: dict[str, dict] = {}

# In the page: load ONNX Runtime Web and the module, build one scorer for the whole page.
_SETUP = """async ({ urls, sidecar, runtime }) => {
  const ort = await import(runtime + 'ort.wasm.min.mjs');
  ort.env.wasm.wasmPaths = runtime;
  ort.env.wasm.numThreads = 1;
  const voice = await import('/static/js/private/voice.mjs');
  const started = performance.now();
  window.__voiceScorer = await voice.createVoiceScorer({ ort, urls, sidecar });
  window.__voiceCalls = 0;
  return performance.now() - started;
}"""

_SCORE = """async (samples) => {
  const clip = Float32Array.from(samples);
  const scorer = window.__voiceScorer;
  const first = window.__voiceCalls++ === 0;
  try {
    const started = performance.now();
    const result = await scorer.score(clip);
    const scoreMs = performance.now() - started;
    let t = performance.now();
    const analysis = await scorer.analyse(clip);
    const analyseMs = performance.now() - t;
    t = performance.now();
    await scorer.speechSpans(clip);
    const vadMs = performance.now() - t;
    return {
      first, scoreMs, analyseMs, vadMs, score: result.score, probabilities: result.probabilities,
      speechSeconds: result.speechSeconds, features: Array.from(analysis.features),
      spans: analysis.spans,
    };
  } catch (error) {
    return { error: { name: error.name, message: error.message } };
  }
}"""


def _clip(name: str) -> np.ndarray:
    if name == PITCH_SHIFTED:
        # Played 1.25 times faster: pitch and formants scaled, a different-sounding speaker.
        return soxr.resample(_clip("good-morning"), RATE, RATE / 1.25).astype(np.float32)
    samples, rate = soundfile.read(SPEECH_DIR / f"{name}.wav", dtype="float32")
    assert rate == RATE
    return samples


def _junk(name: str) -> np.ndarray:
    """The clips training/voice.py's robustness check expects the gate to refuse."""
    t = np.arange(5 * RATE) / RATE
    clips = {
        "silence": lambda: np.zeros(t.size),
        "440 Hz tone": lambda: 0.3 * np.sin(2 * np.pi * 440 * t),
        "white noise": lambda: 0.1 * np.random.default_rng(0).standard_normal(t.size),
    }
    return clips[name]().astype(np.float32)


@pytest.fixture(scope="module")
def sidecar() -> dict:
    return json.loads(SIDECAR_PATH.read_text())


@pytest.fixture(scope="module")
def head_session():
    return sessions.new_session(MODEL_FILES["head"])


@pytest.fixture(scope="module")
def scorer_page(chromium, sidecar):
    """A page with the browser scorer built (``window.__voiceScorer``).

    The page lives on a made-up origin that serves static/ and the ONNX files from disk (no
    Django server, no CSP: the check-in page's own CSP is tested with the page itself).
    """
    context, page, setup_ms = browser_origin.open_scorer_page(
        chromium, MODEL_FILES, MODEL_URL, _SETUP, sidecar=sidecar
    )
    _measured["setup"] = {"create_ms": round(setup_ms, 1)}
    yield page
    context.close()


def _browser(page, samples: np.ndarray) -> dict:
    return page.evaluate(_SCORE, samples.tolist())


def _server(
    samples: np.ndarray, sidecar: dict, head_session
) -> tuple[voice.SpeechAnalysis, np.ndarray, float]:
    analysis = voice.analyse_speech(samples, **sidecar["preprocessing"])
    features = analysis.features(sidecar["features"])
    probs = head_session.run([sidecar["output_name"]], {sidecar["input_name"]: features})[0][0]
    stressed = float(probs[sidecar["labels"].index("stressed")])
    return analysis, features[0], stressed


@pytest.mark.parametrize("name", [*CLIPS, PITCH_SHIFTED])
def test_the_browser_scores_speech_as_the_server_does(scorer_page, sidecar, head_session, name):
    samples = _clip(name)
    analysis, expected, expected_p = _server(samples, sidecar, head_session)

    got = _browser(scorer_page, samples)

    assert "error" not in got, got.get("error")
    assert [tuple(span) for span in got["spans"]] == list(analysis.spans)
    assert got["speechSeconds"] == pytest.approx(analysis.seconds, abs=1e-9)
    names = sidecar["features"]
    features = np.asarray(got["features"], dtype=np.float64)
    expected = expected.astype(np.float64)
    embedding = [i for i, n in enumerate(names) if n.startswith("embedding_")]
    prosody = {n: i for i, n in enumerate(names) if n in voice_features.PROSODY_FEATURES}
    embedding_diff = float(np.max(np.abs(features[embedding] - expected[embedding])))
    prosody_abs = {n: float(abs(features[i] - expected[i])) for n, i in prosody.items()}
    prosody_diff = {
        n: d / max(1.0, abs(float(expected[prosody[n]]))) for n, d in prosody_abs.items()
    }
    p_diff = abs(got["probabilities"]["stressed"] - expected_p)
    _measured[name] = {
        "p_server": expected_p,
        "p_browser": got["probabilities"]["stressed"],
        "abs_dp": p_diff,
        "max_abs_d_embedding": embedding_diff,
        "max_rel_d_prosody": max(prosody_diff.values()),
        "abs_d_prosody": prosody_abs,
        "seconds": samples.size / RATE,
        "score_ms": round(got["scoreMs"], 1),
        "warm_analyse_ms": round(got["analyseMs"], 1),
        "warm_vad_ms": round(got["vadMs"], 1),
        "first_call": got["first"],
    }

    assert p_diff < MAX_PROBABILITY_DIFFERENCE, _measured[name]
    assert got["score"] == pytest.approx(expected_p, abs=MAX_PROBABILITY_DIFFERENCE)
    assert embedding_diff < MAX_EMBEDDING_DIFFERENCE, _measured[name]
    assert max(prosody_diff.values()) < MAX_PROSODY_DIFFERENCE, prosody_diff
    assert scorer_page.errors == []


@pytest.mark.parametrize("name", ["silence", "440 Hz tone", "white noise"])
def test_the_browser_refuses_junk_with_the_servers_message(scorer_page, sidecar, name):
    samples = _junk(name)
    with pytest.raises(InvalidMedia) as refused:
        voice.analyse_speech(samples, **sidecar["preprocessing"])

    got = _browser(scorer_page, samples)

    assert got.get("error") == {"name": "InvalidMediaError", "message": refused.value.message}


def test_an_empty_clip_is_refused_as_on_the_server(scorer_page, sidecar):
    with pytest.raises(InvalidMedia) as refused:
        voice.analyse_speech(np.zeros(0, dtype=np.float32), **sidecar["preprocessing"])

    got = _browser(scorer_page, np.zeros(0, dtype=np.float32))

    assert got.get("error") == {"name": "InvalidMediaError", "message": refused.value.message}


def test_a_clip_with_too_little_speech_gets_the_servers_message(scorer_page, sidecar):
    # Half a second of speech between silences: detected, but under the one second needed.
    speech = _clip("good-morning")[8000:16000]
    samples = np.concatenate([np.zeros(RATE, np.float32), speech, np.zeros(RATE, np.float32)])
    with pytest.raises(InvalidMedia) as refused:
        voice.analyse_speech(samples, **sidecar["preprocessing"])

    got = _browser(scorer_page, samples)

    assert got.get("error") == {"name": "InvalidMediaError", "message": refused.value.message}


def test_a_wav_decoded_in_the_browser_scores_as_on_the_server(scorer_page, sidecar, head_session):
    """decodeToMono16k is not bit-exact with the server's decoders: even a 16 kHz mono PCM WAV
    (no mixing, no resampling) comes back from Chromium scaled by 1/32767 above zero where
    libsndfile divides by 32768, up to one 16-bit step apart. The score barely moves."""
    path = SPEECH_DIR / "a-little-tired.wav"
    expected = _clip("a-little-tired")
    _, _, expected_p = _server(expected, sidecar, head_session)

    got = scorer_page.evaluate(
        """async (b64) => {
          const voice = await import('/static/js/private/voice.mjs');
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          const samples = await voice.decodeToMono16k(bytes.buffer);
          const result = await window.__voiceScorer.score(samples);
          return { samples: Array.from(samples), stressed: result.probabilities.stressed };
        }""",
        base64.b64encode(path.read_bytes()).decode(),
    )

    decoded = np.asarray(got["samples"])
    assert decoded.size == expected.size
    assert float(np.max(np.abs(decoded - expected))) <= 1 / 32767
    _measured["decoded in the browser: a-little-tired"] = {
        "abs_dp": abs(got["stressed"] - expected_p),
        "max_abs_d_samples": float(np.max(np.abs(decoded - expected))),
    }
    assert got["stressed"] == pytest.approx(expected_p, abs=MAX_PROBABILITY_DIFFERENCE)


# Silence either side of a sentence in the fake microphone's file: the recording starts while
# the device is already playing, and holds the whole sentence.
MICROPHONE_PAD_SECONDS = 0.4

# Records with MediaRecorder as the check-in page does (static/js/checkin.js); returns at once,
# the recording's bytes (base64) are awaited later from window.__recording.
_START_RECORDING = """(ms) => {
  window.__recording = (async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const recorder = new MediaRecorder(stream);
    const chunks = [];
    recorder.addEventListener('dataavailable', (e) => e.data.size && chunks.push(e.data));
    const stopped = new Promise((resolve) => recorder.addEventListener('stop', resolve));
    recorder.start();
    await new Promise((resolve) => setTimeout(resolve, ms));
    recorder.stop();
    await stopped;
    stream.getTracks().forEach((track) => track.stop());
    const blob = new Blob(chunks, { type: recorder.mimeType });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = '';
    for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return { type: recorder.mimeType, data: btoa(text) };
  })();
}"""

# What private mode does with a recording (static/js/private/checkin_device.mjs).
_SCORE_RECORDING = """async (b64) => {
  const voice = await import('/static/js/private/voice.mjs');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const samples = await voice.decodeToMono16k(bytes.buffer);
  const result = await window.__voiceScorer.score(samples);
  return { samples: Array.from(samples), score: result.score };
}"""


@pytest.fixture(scope="module")
def recordings(playwright_session, tmp_path_factory) -> dict[str, bytes]:
    """Each speech clip as Chromium's MediaRecorder records it from the fake microphone
    (WebM/Opus), one browser per clip, all recording at once."""
    folder = tmp_path_factory.mktemp("microphone")
    args = [arg for arg in CHROMIUM_ARGS if not arg.startswith("--use-file-for-fake-audio")]
    pad = np.zeros(int(MICROPHONE_PAD_SECONDS * RATE), dtype=np.float32)
    browsers, pages = [], {}
    try:
        for name in CLIPS:
            samples = _clip(name)
            played = folder / f"{name}.wav"
            soundfile.write(played, np.concatenate([pad, samples, pad]), RATE, subtype="PCM_16")
            browser = playwright_session.chromium.launch(
                executable_path=CHROMIUM_PATH,
                headless=True,
                args=[*args, f"--use-file-for-fake-audio-capture={played}"],
            )
            browsers.append(browser)
            _, pages[name] = browser_origin.open_page(browser, {})
            seconds = samples.size / RATE + 2 * MICROPHONE_PAD_SECONDS
            pages[name].evaluate(_START_RECORDING, int(seconds * 1000))
        recorded = {name: page.evaluate("() => window.__recording") for name, page in pages.items()}
    finally:
        for browser in browsers:
            browser.close()
    assert {got["type"] for got in recorded.values()} == {"audio/webm;codecs=opus"}
    return {name: base64.b64decode(got["data"]) for name, got in recorded.items()}


@pytest.fixture
def starter_voice(db):
    """The voice model the parity tests load, active on the server."""
    return register_model_file(MODEL_FILES["head"], activate=True)


@pytest.mark.parametrize("name", CLIPS)
def test_a_mediarecorder_recording_scores_on_the_device_as_on_the_server(
    scorer_page, recordings, starter_voice, tmp_path, name
):
    """The same WebM bytes: decoded at 48 kHz by the same Opus decoder on both sides and
    resampled by the same filter (inference.resampling), so the samples agree to float32
    rounding, and the scores with them."""
    path = tmp_path / "voice.webm"
    path.write_bytes(recordings[name])
    expected = preprocessing.decode_audio(path)
    server = services.score_audio(path).score

    got = scorer_page.evaluate(_SCORE_RECORDING, base64.b64encode(recordings[name]).decode())

    decoded = np.asarray(got["samples"], dtype=np.float32)
    assert decoded.size == expected.size
    sample_diff = float(np.max(np.abs(decoded - expected)))
    _measured[f"recorded by MediaRecorder: {name}"] = {
        "bytes": len(recordings[name]),
        "score_server": server,
        "score_device": got["score"],
        "abs_dscore": abs(got["score"] - server),
        "max_abs_d_samples": sample_diff,
    }
    assert sample_diff <= MAX_RECORDED_SAMPLE_DIFFERENCE
    assert abs(got["score"] - server) <= MAX_PROBABILITY_DIFFERENCE, _measured
    assert scorer_page.errors == []


def test_a_five_second_clip_scores_in_reasonable_time_once_warm(scorer_page):
    samples = _clip("a-little-tired")  # 4.9 s

    times = scorer_page.evaluate(
        """async (samples) => {
          const clip = Float32Array.from(samples);
          const times = [];
          for (let i = 0; i < 3; i++) {
            const started = performance.now();
            await window.__voiceScorer.score(clip);
            times.push(performance.now() - started);
          }
          return times;
        }""",
        samples.tolist(),
    )

    _measured["warm timing: a-little-tired, 3 runs (ms)"] = [round(t, 1) for t in times]
    assert min(times) < 10_000


def test_report():
    """Print what the parity tests measured (run with -s to see it)."""
    clips = [v["abs_dp"] for v in _measured.values() if "p_server" in v]
    recorded = [v["abs_dscore"] for v in _measured.values() if "abs_dscore" in v]
    if not clips and not recorded:
        pytest.skip("no parity test ran")
    print("\nbrowser voice parity:", json.dumps(_measured, indent=1))
    if clips:
        print("max |dp| =", max(clips))
    if recorded:
        print("max |d score| on MediaRecorder recordings =", max(recorded))
