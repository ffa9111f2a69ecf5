"""The on-device face scorer (static/js/private/face.mjs, ONNX Runtime Web in headless Chromium)
gives the server's answer: the same gate verdicts with the same messages, the same landmarks
and the same P(fatigued).

Both sides start from the same pixels: each photo goes through the server's own
``decode_image`` here and its RGB bytes are handed to the page. The Python side is the real
scoring path (``fatigue.estimate`` with ``services._fatigued_scores``).

Measured (2026-12-02, Chromium 156.0.8078.114, ONNX Runtime Web 1.31.1, one WASM thread, against
ONNX Runtime 1.32 on an AVX2 CPU) over the photos below: |P(fatigued) browser - server| at most
2.9e-6 (most under 2e-7), landmarks within 1.4e-3 px, face boxes within 1e-5 px. The resize and
crop code reproduces Pillow's byte for byte (``test_the_pixel_operations_are_pillows_bit_for_bit``)
and the int8 fatigue CNN gives the same logits on both sides (see ``server_predict``); what is
left comes from the float arithmetic of the two ONNX runtimes in the face detector and the mesh.
See ``test_report`` for the numbers of a run (``-s``).
"""

import base64
import io
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from django.conf import settings
from PIL import Image, ImageFilter

from inference import burst, face, fatigue, services, sessions
from inference.preprocessing import decode_image
from inference.tests import browser_origin
from inference.tests.media import eyes_shut, image_bytes, portrait
from inference.tests.test_face import single_eye_close_up

pytestmark = [pytest.mark.browser]

ROOT = Path(settings.BASE_DIR)
SIDECAR_PATH = ROOT / "models" / "fatigue" / "fatigue-starter-2026.12.2.json"
FACE_MANIFEST = json.loads((Path(settings.FACE_MODELS_DIR) / "manifest.json").read_text())
MODEL_FILES = {
    "detector": Path(settings.FACE_MODELS_DIR) / FACE_MANIFEST["models"][face.DETECTOR]["file"],
    "landmarks": Path(settings.FACE_MODELS_DIR) / FACE_MANIFEST["models"][face.LANDMARKS]["file"],
    "eyes": Path(settings.FACE_MODELS_DIR) / FACE_MANIFEST["models"][face.EYES]["file"],
    "fatigue": SIDECAR_PATH.parent / json.loads(SIDECAR_PATH.read_text())["onnx_file"],
}
MODEL_SHA256 = {
    "detector": FACE_MANIFEST["models"][face.DETECTOR]["sha256"],
    "landmarks": FACE_MANIFEST["models"][face.LANDMARKS]["sha256"],
    "eyes": FACE_MANIFEST["models"][face.EYES]["sha256"],
    "fatigue": json.loads(SIDECAR_PATH.read_text())["sha256"],
}
MODEL_URL = "/__face-models__/{}.onnx"

MAX_PROBABILITY_DIFFERENCE = 0.01
# Far above what was measured (see the module docstring), far below a visible shift.
MAX_LANDMARK_DIFFERENCE = 0.05  # photo pixels

# Filled by the tests, printed by test_report.
_measured: dict[str, dict] = {}

_SETUP = """async ({ urls, sidecar, sha256, runtime }) => {
  const ort = await import(runtime + 'ort.wasm.min.mjs');
  ort.env.wasm.wasmPaths = runtime;
  ort.env.wasm.numThreads = 1;
  const faces = await import('/static/js/private/face.mjs');
  const started = performance.now();
  window.__faceScorer = await faces.createFaceScorer({ ort, urls, sidecar, sha256 });
  window.__faceCalls = 0;
  return performance.now() - started;
}"""

_SCORE = """async ({ width, height, rgb }) => {
  const bytes = Uint8Array.from(atob(rgb), (c) => c.charCodeAt(0));
  // Hand it over as RGBA, as a canvas would give it, so that path is covered too.
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    data.set(bytes.subarray(i * 3, i * 3 + 3), i * 4);
    data[i * 4 + 3] = 255;
  }
  const pixels = { width, height, data };
  const scorer = window.__faceScorer;
  const first = window.__faceCalls++ === 0;
  try {
    const started = performance.now();
    const result = await scorer.score(pixels);
    const scoreMs = performance.now() - started;
    const checkStarted = performance.now();
    const gate = await scorer.check(pixels);
    const checkMs = performance.now() - checkStarted;
    return {
      first, scoreMs, checkMs, score: result.score, label: result.label,
      probabilities: result.probabilities, parts: result.parts,
      landmarks: Array.from(gate.landmarks), detection: gate.detection,
      brightness: gate.brightness, sharpness: gate.sharpness, presence: gate.presence,
    };
  } catch (error) {
    return { error: { name: error.name, reason: error.reason, message: error.message } };
  }
}"""


# --- Photos ----------------------------------------------------------------------------------


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _webcam_frame() -> Image.Image:
    """The portrait off-centre in a wide grey frame: letterboxing with uneven padding."""
    frame = Image.new("RGB", (641, 361), (118, 122, 126))
    frame.paste(portrait(size=300), (250, 40))
    return frame


SCORED = {
    "portrait": lambda: _png(portrait()),
    "portrait as JPEG": lambda: _jpeg(portrait()),
    "portrait 480 px": lambda: _png(portrait(size=480)),
    "portrait 200 px": lambda: _png(portrait(size=200)),
    "darker (0.6)": lambda: _png(portrait(brightness=0.6)),
    "brighter (1.1)": lambda: _png(portrait(brightness=1.1)),
    "rotated 20 degrees, cropped": lambda: _png(
        portrait().rotate(20, resample=Image.Resampling.BILINEAR).crop((13, 7, 300, 251))
    ),
    "tilted -12 degrees": lambda: _png(
        portrait().rotate(-12, resample=Image.Resampling.BICUBIC, expand=True)
    ),
    "eyes painted shut": lambda: _png(eyes_shut(portrait())),
    "webcam frame": lambda: _jpeg(_webcam_frame()),
}


def _two_faces() -> Image.Image:
    pair = Image.new("RGB", (640, 320))
    pair.paste(portrait(), (0, 0))
    pair.paste(portrait(), (320, 0))
    return pair


REFUSED = {
    "plain colour": lambda: image_bytes("PNG"),
    "black": lambda: _png(Image.new("RGB", (320, 240))),
    "noise": lambda: _png(
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (240, 320, 3), dtype=np.uint8))
    ),
    "washed out": lambda: _png(portrait(brightness=1.3)),
    "very dark": lambda: _png(portrait().point(lambda v: int(v * 0.12))),
    "tiny face": lambda: _png(portrait().resize((160, 160)).crop((-80, -80, 240, 240))),
    "blurred": lambda: _png(portrait().filter(ImageFilter.GaussianBlur(2))),
    "two faces": lambda: _png(_two_faces()),
    "one eye close up": lambda: _png(single_eye_close_up(portrait())),
}


# --- Fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sidecar() -> dict:
    return json.loads(SIDECAR_PATH.read_text())


@pytest.fixture(scope="module")
def server_predict(sidecar):
    """The server's own batch scoring (``services._fatigued_scores``) on the shipped model, in a
    session with the server's options (``sessions.session_options``: exact int8 kernels).

    The fatigue CNN is int8 (QDQ). WebAssembly computes its integer sums exactly; ONNX Runtime
    on x86 does only with AVX-VNNI / AVX512-VNNI or with ``session.x64quantprecision``: its
    default U8S8 kernel for AVX2 (and AVX-512 without VNNI) adds pairs of products in
    saturating 16-bit lanes, which moves the logits of these photos by up to 4 quantization
    steps (P(fatigued) by up to 0.03) on such a CPU, and not at all on another.
    """
    session = sessions.new_session(MODEL_FILES["fatigue"])
    model = SimpleNamespace(
        metadata=sidecar,
        run=lambda batch: session.run([sidecar["output_name"]], {sidecar["input_name"]: batch})[0],
    )
    return services._fatigued_scores(model)


@pytest.fixture(scope="module")
def scorer_page(chromium, sidecar):
    """A page with the browser scorer built (``window.__faceScorer``).

    The page lives on a made-up origin that serves static/ and the ONNX files from disk (no
    Django server, no CSP: the check-in page's own CSP is tested with the page itself).
    """
    context, page, setup_ms = browser_origin.open_scorer_page(
        chromium, MODEL_FILES, MODEL_URL, _SETUP, sidecar=sidecar, sha256=MODEL_SHA256
    )
    _measured["setup"] = {"create_ms": round(setup_ms, 1)}
    yield page
    context.close()


def _browser(page, image: Image.Image) -> dict:
    rgb = base64.b64encode(image.tobytes()).decode("ascii")
    return page.evaluate(_SCORE, {"width": image.width, "height": image.height, "rgb": rgb})


# --- Tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCORED))
def test_the_browser_scores_a_photo_as_the_server_does(scorer_page, sidecar, server_predict, name):
    image = decode_image(SCORED[name]())
    expected = fatigue.estimate(image, metadata=sidecar, predict=server_predict)
    analysis = face.analyse_face(image)

    got = _browser(scorer_page, image)

    assert "error" not in got, got.get("error")
    landmarks = np.asarray(got["landmarks"], dtype=np.float64).reshape(-1, 3)
    landmark_diff = float(np.max(np.abs(landmarks[:, :2] - analysis.landmarks[:, :2])))
    parts = got["parts"]
    p_diff = abs(got["probabilities"]["fatigued"] - expected.probability)
    _measured[name] = {
        "size": image.size,
        "p_server": expected.probability,
        "p_browser": got["probabilities"]["fatigued"],
        "abs_dp": p_diff,
        "abs_d_yawn": abs(parts["yawn"] - expected.yawn),
        "abs_d_eyes_closed": abs(parts["eyesClosed"] - expected.eyes_closed),
        "max_abs_d_landmark_px": landmark_diff,
        "abs_d_box_px": float(
            np.max(np.abs(np.asarray(got["detection"]["box"]) - analysis.detection.box))
        ),
        "abs_d_sharpness": abs(got["sharpness"] - analysis.sharpness),
        "score_ms": round(got["scoreMs"], 1),
        "check_ms": round(got["checkMs"], 1),
        "first_call": got["first"],
    }

    assert p_diff < MAX_PROBABILITY_DIFFERENCE, _measured[name]
    assert got["score"] == pytest.approx(expected.probability, abs=MAX_PROBABILITY_DIFFERENCE)
    assert got["label"] == ("fatigued" if expected.probability >= 0.5 else "alert")
    assert parts["faceScore"] == pytest.approx(expected.face_score, abs=1e-3)
    assert parts["eyeScores"] == pytest.approx(list(expected.eye_scores), abs=1e-3)
    for key, value in expected.features.items():
        # Aspect ratios to 1e-3, head pose (degrees) to 0.05.
        tolerance = 0.05 if key in ("yaw", "pitch", "roll") else 1e-3
        assert parts["features"][key] == pytest.approx(value, abs=tolerance), key
    assert landmark_diff < MAX_LANDMARK_DIFFERENCE, _measured[name]
    # The crop corners agree to about 1e-5 px; now and then a crop pixel sitting on a level
    # boundary truncates the other way, which moves the mean of 9216 pixels by 1e-4.
    assert got["brightness"] == pytest.approx(analysis.brightness, abs=0.05)
    assert got["sharpness"] == pytest.approx(analysis.sharpness, rel=0.01)
    assert scorer_page.errors == []


@pytest.mark.parametrize("name", list(REFUSED))
def test_the_browser_refuses_a_photo_with_the_servers_message(scorer_page, name):
    image = decode_image(REFUSED[name]())
    with pytest.raises(face.PhotoRejected) as refused:
        face.analyse_face(image)

    got = _browser(scorer_page, image)

    assert got.get("error") == {
        "name": "InvalidMediaError",
        "reason": refused.value.reason,
        "message": refused.value.message,
    }
    _measured[f"refused: {name}"] = {"reason": refused.value.reason}


_PIXEL_OPS = """async ({ width, height, rgb, resizes, transforms }) => {
  const { _internals: ops } = await import('/static/js/private/face.mjs');
  const image = { width, height, data: Uint8Array.from(atob(rgb), (c) => c.charCodeAt(0)) };
  const encode = (bytes) => btoa(Array.from(bytes, (v) => String.fromCharCode(v)).join(''));
  return {
    resized: resizes.map(([w, h]) => encode(ops.resizeBilinear(image, w, h).data)),
    transformed: transforms.map((c) => encode(ops.affineBilinear(image, c, 96).data)),
  };
}"""


def test_the_pixel_operations_are_pillows_bit_for_bit(scorer_page):
    """Resize (both pass orders) and the bilinear affine crop, on shapes the photos above do
    not reach: every byte equals Pillow's."""
    image = portrait().rotate(20, resample=Image.Resampling.BILINEAR).crop((5, 9, 306, 250))
    resizes = [(128, 128), (513, 77), (77, 513), (150, 190), (31, 300), (301, 241)]
    transforms = [
        (0.9, -0.2, 40.0, 0.2, 0.9, 20.0),
        (1.7, 0.4, -30.5, -0.4, 1.7, 200.25),  # partly outside the photo: black there
        (3.2, 0.0, 0.0, 0.0, 2.6, 0.0),
    ]
    got = scorer_page.evaluate(
        _PIXEL_OPS,
        {
            "width": image.width,
            "height": image.height,
            "rgb": base64.b64encode(image.tobytes()).decode("ascii"),
            "resizes": resizes,
            "transforms": transforms,
        },
    )
    for size, data in zip(resizes, got["resized"], strict=True):
        expected = image.resize(size, Image.Resampling.BILINEAR).tobytes()
        assert base64.b64decode(data) == expected, size
    for coefficients, data in zip(transforms, got["transformed"], strict=True):
        expected = image.transform(
            (96, 96), Image.Transform.AFFINE, coefficients, resample=Image.Resampling.BILINEAR
        ).tobytes()
        assert base64.b64decode(data) == expected, coefficients


def test_eyes_painted_shut_score_higher_on_both_sides():
    """Not parity but a sanity check of what was compared: the shut eyes do move the score."""
    rows = {name: _measured.get(name) for name in ("portrait", "eyes painted shut")}
    if not all(rows.values()):
        pytest.skip("the parity tests did not run")
    assert rows["eyes painted shut"]["p_server"] > rows["portrait"]["p_server"]
    assert rows["eyes painted shut"]["p_browser"] > rows["portrait"]["p_browser"]


def test_report():
    """Print what the parity tests measured (run with -s to see it)."""
    photos = {k: v for k, v in _measured.items() if "abs_dp" in v}
    if not photos:
        pytest.skip("no parity test ran")
    print("\nbrowser face parity:", json.dumps(_measured, indent=1, default=str))
    print("max |dp| =", max(v["abs_dp"] for v in photos.values()))
    print("max |d landmark| px =", max(v["max_abs_d_landmark_px"] for v in photos.values()))
    first = [v["score_ms"] for v in photos.values() if v["first_call"]]
    warm = [v["score_ms"] for v in photos.values() if not v["first_call"]]
    print("score ms: first", first, "warm median", float(np.median(warm)) if warm else None)


_BURST = """async ({ frames }) => {
  const faces = await import('/static/js/private/face.mjs');
  const pixels = frames.map(({ width, height, rgb }) => {
    const bytes = Uint8Array.from(atob(rgb), (c) => c.charCodeAt(0));
    const data = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      data.set(bytes.subarray(i * 3, i * 3 + 3), i * 4);
      data[i * 4 + 3] = 255;
    }
    return { width, height, data };
  });
  const result = await faces.scoreBurst(window.__faceScorer, pixels);
  return { probability: result.probability, summary: result.summary };
}"""

BURST = [
    "portrait",
    "eyes painted shut",
    "eyes painted shut",
    "portrait as JPEG",
    "eyes painted shut",
    "darker (0.6)",
    "webcam frame",
    "eyes painted shut",
]


def test_the_browser_scores_a_burst_as_the_server_does(scorer_page, sidecar, server_predict):
    images = [decode_image(SCORED[name]()) for name in BURST]
    images.insert(3, Image.new("RGB", (320, 240), (90, 90, 90)))  # a frame without a face
    expected = burst.estimate(images, metadata=sidecar, predict=server_predict)
    frames = [
        {
            "width": image.width,
            "height": image.height,
            "rgb": base64.b64encode(image.tobytes()).decode("ascii"),
        }
        for image in images
    ]
    got = scorer_page.evaluate(_BURST, {"frames": frames})
    _measured["burst"] = {
        "p_server": expected.probability,
        "p_browser": got["probability"],
        "abs_dp": abs(got["probability"] - expected.probability),
    }
    assert got["probability"] == pytest.approx(expected.probability, abs=1e-3)
    assert got["summary"] == expected.summary()
    assert expected.summary()["frames_refused"] == 1 and expected.summary()["blinks"] == 3
