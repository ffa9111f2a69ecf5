"""Session cache: one session per kind per process, rebuilt on activation, verified on load."""

import pytest

from inference import runtime, sessions
from inference.errors import ModelUnavailable
from inference.registry import activate_model, register_model_file
from inference.testing import write_tiny_model


def test_it_builds_one_session_per_kind_and_reuses_it(tiny_models, monkeypatch):
    built = []
    original = sessions.new_session
    monkeypatch.setattr(sessions, "new_session", lambda *a, **k: built.append(a) or original(*a))

    first = runtime.get_model("voice")
    second = runtime.get_model("voice")
    runtime.get_model("fatigue")

    assert first is second
    assert len(built) == 2
    assert runtime.loaded_versions() == {"voice": "tiny-1", "fatigue": "tiny-1"}


def test_it_caps_intra_op_threads_from_settings(tiny_models, settings):
    settings.ORT_INTRA_OP_THREADS = 1

    options = runtime.get_model("burnout").session.get_session_options()

    assert options.intra_op_num_threads == 1
    assert options.inter_op_num_threads == 1


def test_sessions_use_exact_int8_kernels_where_the_cpu_needs_them(tiny_models):
    # Without them, x86 CPUs lacking VNNI saturate int8 sums and the fatigue score drifts.
    from inference.sessions import exact_int8_kernels_needed
    from inference.tests.test_int8_kernels import uses_exact_kernels

    options = runtime.get_model("fatigue").session.get_session_options()

    assert uses_exact_kernels(options) is exact_int8_kernels_needed()


def test_reset_drops_cached_sessions(tiny_models):
    first = runtime.get_model("fatigue")

    runtime.reset()

    assert runtime.loaded_versions() == {}
    assert runtime.get_model("fatigue") is not first


def test_it_rebuilds_the_session_when_another_version_becomes_active(tiny_models, tmp_path):
    before = runtime.get_model("voice")
    register_model_file(write_tiny_model(tmp_path, "voice", version="v2"), activate=True)

    after = runtime.get_model("voice")

    assert (before.version, after.version) == ("tiny-1", "v2")
    activate_model(kind="voice", version="tiny-1")
    assert runtime.get_model("voice").version == "tiny-1"


@pytest.mark.django_db
def test_no_active_model_is_a_clear_error():
    runtime.reset()

    with pytest.raises(ModelUnavailable, match="No active fatigue model") as err:
        runtime.get_model("fatigue")
    assert err.value.status_code == 503


@pytest.mark.django_db
def test_a_file_altered_after_registration_is_refused_on_load(tmp_path):
    runtime.reset()
    path = write_tiny_model(tmp_path, "burnout", version="v1")
    register_model_file(path, activate=True)
    path.write_bytes(path.read_bytes().replace(b"tiny_burnout", b"evil_burnout"))

    with pytest.raises(ModelUnavailable, match="does not match its registered sha256"):
        runtime.get_model("burnout")
    runtime.reset()


@pytest.mark.django_db
def test_a_missing_file_is_refused_on_load(tmp_path):
    runtime.reset()
    path = write_tiny_model(tmp_path, "voice", version="v1")
    register_model_file(path, activate=True)
    path.unlink()

    with pytest.raises(ModelUnavailable, match="missing its file"):
        runtime.get_model("voice")


def test_describe_reports_each_kind(tiny_models, tmp_path):
    runtime.get_model("voice")

    report = runtime.describe_active_models()

    assert report["voice"] == {
        "ok": True,
        "version": "tiny-1",
        "sha256_ok": True,
        "loaded": True,
        "error": None,
    }
    assert report["fatigue"]["ok"] is True
    assert report["fatigue"]["loaded"] is False


@pytest.mark.django_db
def test_describe_reports_missing_and_corrupt_models(tmp_path):
    runtime.reset()
    path = write_tiny_model(tmp_path, "fatigue", version="v1")
    register_model_file(path, activate=True)
    path.write_bytes(path.read_bytes() + b"junk")

    report = runtime.describe_active_models()

    assert report["fatigue"]["ok"] is False
    assert report["fatigue"]["sha256_ok"] is False
    assert report["fatigue"]["error"] == "sha256 mismatch"
    assert report["voice"] == {
        "ok": False,
        "version": None,
        "sha256_ok": None,
        "loaded": False,
        "error": "no active voice model",
    }
    runtime.reset()


def test_load_active_models_warms_every_kind(tiny_models):
    assert runtime.load_active_models() == {
        "fatigue": "tiny-1",
        "voice": "tiny-1",
        "burnout": "tiny-1",
    }
