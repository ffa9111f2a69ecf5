"""The one session cache: every model family's sessions have the same options, are verified,
built once, dropped by reset, and reported the same way."""

import hashlib
import shutil

import pytest

from inference import face, runtime, sessions, vad, voice_features
from inference.errors import ModelUnavailable
from inference.face_models import face_session
from inference.testing import fatigue_graph
from inference.tests.test_int8_kernels import uses_exact_kernels
from training import artifacts

BUNDLED = {
    "vad": vad._session,
    "face detector": lambda: face_session(face.DETECTOR),
    "face mesh": lambda: face_session(face.LANDMARKS),
    "voice encoder": voice_features._session,
}


def refusal(model, problem, error):
    return f"The test model {model.path.name} is {problem}{': ' + error if error else ''}."


@pytest.fixture
def tiny_file(tmp_path):
    path = tmp_path / "tiny.onnx"
    path.write_bytes(fatigue_graph().SerializeToString())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    model = sessions.ModelFile(name="test", path=path, sha256=digest, version="t1", refusal=refusal)
    sessions.reset("test")
    yield model
    sessions.reset("test")


@pytest.fixture
def counted_builds(monkeypatch):
    built = []
    original = sessions.new_session
    monkeypatch.setattr(sessions, "new_session", lambda *a, **k: built.append(a) or original(*a))
    return built


def assert_shared_options(session, threads):
    options = session.get_session_options()
    # Without exact int8 kernels, x86 CPUs lacking VNNI saturate int8 sums and scores drift.
    assert uses_exact_kernels(options) is sessions.exact_int8_kernels_needed()
    assert options.intra_op_num_threads == threads
    assert options.inter_op_num_threads == 1


@pytest.mark.parametrize("kind", ["fatigue", "voice", "burnout"])
def test_it_builds_registered_models_with_the_shared_options(tiny_models, settings, kind):
    settings.ORT_INTRA_OP_THREADS = 2

    assert_shared_options(runtime.get_model(kind).session, threads=2)


@pytest.mark.parametrize("family", BUNDLED)
def test_it_builds_bundled_models_with_the_shared_options(settings, family):
    settings.ORT_INTRA_OP_THREADS = 2
    sessions.reset()
    try:
        assert_shared_options(BUNDLED[family](), threads=2)
    finally:
        sessions.reset()


def test_training_and_the_bench_use_the_shared_options(tiny_file):
    from bench.inference.common import ort_session

    assert_shared_options(artifacts.ort_session(tiny_file.path, threads=3), threads=3)
    # The bench's own int8 models (no sidecar) have 7-bit weights: the fast kernels are exact.
    bench = ort_session(tiny_file.path, 3).get_session_options()
    assert not uses_exact_kernels(bench) and bench.intra_op_num_threads == 3
    # A model whose sidecar says full-range int8 gets what the CPU needs, as the server's do.
    tiny_file.path.with_suffix(".json").write_text('{"quantization": "static-qdq-int8"}')
    assert_shared_options(ort_session(tiny_file.path, 3), threads=3)


def test_it_builds_a_session_once_and_reuses_it(tiny_file, counted_builds):
    first = sessions.get(tiny_file)
    second = sessions.get(tiny_file)

    assert first is second
    assert len(counted_builds) == 1
    assert sessions.is_loaded(tiny_file)
    assert sessions.loaded()["test"] == "t1"
    assert sessions.health(tiny_file)["loaded"] is True


def test_it_reads_metadata_once_when_it_builds(tiny_file):
    reads = []

    def metadata():
        reads.append(1)
        return {"input_name": "pixel_values", "labels": ["alert", "fatigued"]}

    model = sessions.get(tiny_file, metadata=metadata)
    sessions.get(tiny_file, metadata=metadata)

    assert reads == [1]
    assert (model.input_name, model.metadata["labels"]) == ("pixel_values", ["alert", "fatigued"])


def test_it_rebuilds_when_the_caller_asks_for_another_file(tiny_file, tmp_path, counted_builds):
    first = sessions.get(tiny_file)
    copy = tmp_path / "copy.onnx"
    shutil.copy(tiny_file.path, copy)
    other = sessions.ModelFile(
        name="test", path=copy, sha256=tiny_file.sha256, version="t2", refusal=refusal
    )

    second = sessions.get(other)

    assert second is not first and len(counted_builds) == 2
    assert sessions.is_loaded(other) and not sessions.is_loaded(tiny_file)


def test_reset_drops_the_session(tiny_file):
    first = sessions.get(tiny_file)

    sessions.reset()

    assert not sessions.is_loaded(tiny_file)
    assert "test" not in sessions.loaded()
    assert sessions.get(tiny_file) is not first


def test_reset_by_name_keeps_the_other_sessions(tiny_file):
    detector = face_session(face.DETECTOR)
    sessions.get(tiny_file)

    sessions.reset("test")

    assert not sessions.is_loaded(tiny_file)
    assert face_session(face.DETECTOR) is detector


def test_an_altered_file_is_refused_and_reported(tiny_file):
    with tiny_file.path.open("ab") as handle:
        handle.write(b"\0")

    with pytest.raises(ModelUnavailable, match=r"The test model tiny\.onnx is altered\.") as err:
        sessions.get(tiny_file)

    assert err.value.status_code == 503
    assert sessions.health(tiny_file) == {
        "ok": False,
        "version": "t1",
        "sha256_ok": False,
        "loaded": False,
        "error": "sha256 mismatch",
    }


def test_a_missing_file_is_refused_and_reported(tiny_file):
    tiny_file.path.unlink()

    with pytest.raises(ModelUnavailable, match=r"The test model tiny\.onnx is missing\."):
        sessions.get(tiny_file)
    assert sessions.health(tiny_file)["error"] == f"file missing: {tiny_file.path}"
    assert sessions.health(tiny_file)["sha256_ok"] is None


def test_an_unloadable_file_is_refused_with_onnx_runtimes_reason(tiny_file):
    tiny_file.path.write_bytes(b"not onnx")
    model = sessions.ModelFile(
        name="test",
        path=tiny_file.path,
        sha256=hashlib.sha256(b"not onnx").hexdigest(),
        version="t1",
        refusal=refusal,
    )

    with pytest.raises(ModelUnavailable, match=r"The test model tiny\.onnx is unloadable: .+"):
        sessions.get(model)


def test_health_does_not_rehash_an_unchanged_file(tiny_file, monkeypatch):
    hashed = []
    original = sessions.sha256_of
    monkeypatch.setattr(sessions, "sha256_of", lambda path: hashed.append(path) or original(path))

    sessions.health(tiny_file)
    sessions.health(tiny_file)
    assert len(hashed) == 1

    with tiny_file.path.open("ab") as handle:
        handle.write(b"\0")
    assert sessions.health(tiny_file)["sha256_ok"] is False
    assert len(hashed) == 2


def test_an_altered_face_model_is_refused_and_reported(settings, tmp_path):
    folder = tmp_path / "face"
    shutil.copytree(face.face_models_dir(), folder)
    with (folder / "face_landmark.onnx").open("ab") as handle:
        handle.write(b"\0")
    settings.FACE_MODELS_DIR = folder
    face.reset()
    try:
        with pytest.raises(ModelUnavailable, match=r"face_landmark\.onnx is missing or altered"):
            face.load()
        status = face.status()
    finally:
        face.reset()

    assert status == {
        "ok": False,
        "version": face.LANDMARKS,
        "sha256_ok": False,
        "loaded": False,
        "error": "face_landmark: sha256 mismatch",
    }
