"""Model registry: sidecars, checksums, one active version per kind."""

import json

import pytest
from django.db import IntegrityError, transaction

from inference.errors import InvalidModelFile
from inference.models import ModelVersion
from inference.registry import activate_model, register_model_file
from inference.testing import write_tiny_model

pytestmark = pytest.mark.django_db


def test_it_registers_a_model_with_its_sidecar_metadata(tmp_path):
    path = write_tiny_model(tmp_path, "voice", version="v1")

    model = register_model_file(path, activate=True)

    assert (model.kind, model.version, model.is_active) == ("voice", "v1", True)
    assert model.metadata["labels"] == ["calm", "stressed"]
    assert model.metadata["score_weights"] == {"calm": 0.0, "stressed": 1.0}
    assert model.metrics == {"note": "tiny test model, not trained"}
    assert model.sha256 == json.loads(path.with_suffix(".json").read_text())["sha256"]


def test_it_stores_paths_under_models_dir_relative(tmp_path, settings):
    settings.MODELS_DIR = tmp_path
    path = write_tiny_model(tmp_path, "fatigue", version="v1")

    model = register_model_file(path, activate=False)

    assert model.file_path == "fatigue/fatigue-v1.onnx"
    assert model.is_active is False


def test_activation_moves_the_single_active_flag(tmp_path):
    register_model_file(write_tiny_model(tmp_path, "burnout", version="v1"), activate=True)
    register_model_file(write_tiny_model(tmp_path, "burnout", version="v2"), activate=True)

    assert list(ModelVersion.objects.filter(is_active=True).values_list("version", flat=True)) == [
        "v2"
    ]

    activate_model(kind="burnout", version="v1")

    active = ModelVersion.objects.get(kind="burnout", is_active=True)
    assert active.version == "v1"


def test_registering_again_with_the_same_file_is_idempotent(tmp_path):
    path = write_tiny_model(tmp_path, "voice", version="v1")

    first = register_model_file(path, activate=True)
    second = register_model_file(path, activate=True)

    assert first.pk == second.pk
    assert ModelVersion.objects.count() == 1


def test_the_database_allows_only_one_active_model_per_kind(tmp_path):
    register_model_file(write_tiny_model(tmp_path, "voice", version="v1"), activate=True)
    other = register_model_file(write_tiny_model(tmp_path, "voice", version="v2"), activate=False)

    other.is_active = True
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save()


def test_the_database_refuses_a_duplicate_kind_and_version(tmp_path):
    model = register_model_file(write_tiny_model(tmp_path, "voice", version="v1"), activate=False)

    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.create(
            kind="voice", version="v1", file_path=model.file_path, sha256="0" * 64
        )


def test_it_refuses_a_file_whose_sha256_differs_from_its_sidecar(tmp_path):
    path = write_tiny_model(tmp_path, "fatigue", version="v1")
    path.write_bytes(path.read_bytes() + b"\x00")

    with pytest.raises(InvalidModelFile, match="sha256 mismatch"):
        register_model_file(path, activate=True)
    assert not ModelVersion.objects.exists()


def test_it_refuses_a_new_file_under_an_existing_version(tmp_path):
    register_model_file(write_tiny_model(tmp_path / "a", "voice", version="v1"), activate=True)
    other = write_tiny_model(tmp_path / "b", "fatigue", version="v1")
    renamed = other.parent / "voice-v1.onnx"
    other.rename(renamed)
    meta = json.loads(other.with_suffix(".json").read_text())
    meta |= {"kind": "voice", "onnx_file": renamed.name, "input_name": "pixel_values"}
    meta |= {"labels": ["calm", "stressed"], "score_weights": {"calm": 0, "stressed": 1}}
    renamed.with_suffix(".json").write_text(json.dumps(meta))

    with pytest.raises(InvalidModelFile, match="already registered with another file"):
        register_model_file(renamed, activate=True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format_version": 2}, "format_version"),
        ({"kind": "mood"}, "Unknown model kind"),
        ({"onnx_file": "other.onnx"}, "describes"),
        ({"input_name": "nope"}, "has no input"),
        ({"output_name": "nope"}, "has no output"),
        ({"score_weights": {"calm": 0.0}}, "one weight per label"),
        ({"labels": []}, "labels"),
    ],
)
def test_it_refuses_an_inconsistent_sidecar(tmp_path, change, message):
    path = write_tiny_model(tmp_path, "voice", version="v1")
    sidecar = path.with_suffix(".json")
    sidecar.write_text(json.dumps(json.loads(sidecar.read_text()) | change))

    with pytest.raises(InvalidModelFile, match=message):
        register_model_file(path, activate=True)


def test_it_refuses_a_missing_sidecar_or_file(tmp_path):
    path = write_tiny_model(tmp_path, "voice", version="v1")
    path.with_suffix(".json").unlink()

    with pytest.raises(InvalidModelFile, match="No sidecar"):
        register_model_file(path, activate=True)
    with pytest.raises(InvalidModelFile, match="does not exist"):
        register_model_file(tmp_path / "nothing.onnx", activate=True)


def test_it_refuses_a_burnout_sidecar_without_features(tmp_path):
    path = write_tiny_model(tmp_path, "burnout", version="v1")
    sidecar = path.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    del meta["features"]
    sidecar.write_text(json.dumps(meta))

    with pytest.raises(InvalidModelFile, match="features"):
        register_model_file(path, activate=True)


def test_activating_an_unknown_version_names_the_known_ones(tmp_path):
    register_model_file(write_tiny_model(tmp_path, "voice", version="v1"), activate=True)

    with pytest.raises(InvalidModelFile, match=r"registered: v1"):
        activate_model(kind="voice", version="v9")
