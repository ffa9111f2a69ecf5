"""The on-device voice scorer (static/js/private/voice.mjs, ONNX Runtime Web in headless
Chromium) gives the server's answer: same speech spans, same features, same P(stressed), and
the same refusals for clips without speech.

Measured on the four committed clips and one pitch-shifted (Chromium, ONNX Runtime Web 1.31.1,
one wasm thread): max |P(stressed) browser - server| = 1.3e-6, embedding within 2.1e-7, and
all 18 prosody features identical once rounded to float32 as the head's input is. The speech
spans are identical. ``test_report`` prints the numbers of a run (``-s``).
"""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
import soxr
from django.conf import settings

from inference import sessions, voice, voice_features
from inference.errors import InvalidMedia
from inference.tests import browser_origin

pytestmark = [pytest.mark.browser]

ROOT = Path(settings.BASE_DIR)
SPEECH_DIR = Path(__file__).parent / "fixtures" / "speech"
SIDECAR_PATH = ROOT / "models" / "voice" / "voice-starter-2026.12.json"
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
    clips = {k: v for k, v in _measured.items() if "p_server" in v}
    if not clips:
        pytest.skip("no parity test ran")
    print("\nbrowser voice parity:", json.dumps(_measured, indent=1))
    print("max |dp| =", max(v["abs_dp"] for v in clips.values()))
