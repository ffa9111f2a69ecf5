"""Transfer learning from a local Hugging Face folder: frozen encoder, then partial unfreeze."""

import json

import pytest
import torch
from transformers import (
    ResNetConfig,
    ResNetForImageClassification,
    Wav2Vec2Config,
    Wav2Vec2ForSequenceClassification,
)

from training import fatigue_model, voice_wav2vec2_model
from training.config import TrainOptions
from training.services import training_run
from training.tests.synthetic import write_image_folders


def _trainable(module) -> bool:
    return any(p.requires_grad for p in module.parameters())


@pytest.fixture
def resnet_dir(tmp_path):
    config = ResNetConfig(
        embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1], layer_type="basic", num_labels=5
    )
    folder = tmp_path / "resnet"
    ResNetForImageClassification(config).save_pretrained(folder)
    (folder / "preprocessor_config.json").write_text(
        json.dumps(
            {
                "image_mean": [0.5, 0.5, 0.5],
                "image_std": [0.25, 0.25, 0.25],
                "size": {"shortest_edge": 32},
                "crop_pct": 0.8,
            }
        )
    )
    return folder


@pytest.fixture
def wav2vec2_dir(tmp_path):
    config = Wav2Vec2Config(
        hidden_size=16,
        num_hidden_layers=3,
        num_attention_heads=2,
        intermediate_size=32,
        conv_dim=(8,) * 7,
        num_conv_pos_embeddings=8,
        num_conv_pos_embedding_groups=2,
        vocab_size=4,
    )
    folder = tmp_path / "w2v"
    Wav2Vec2ForSequenceClassification(config).save_pretrained(folder)
    return folder


def _opts(kind, pretrained, tmp_path, data=()):
    return TrainOptions(
        kind=kind,
        data_dirs=tuple(data),
        out_dir=tmp_path / "work",
        version="p1",
        config="tiny",
        pretrained=pretrained,
        epochs=3,
        progress=False,
    )


def test_resnet_head_trains_first_then_the_last_stage(resnet_dir, tmp_path):
    options = _opts("fatigue", resnet_dir, tmp_path)
    model = fatigue_model.build_model(options)
    assert model.config.num_labels == 2
    assert fatigue_model.set_trainable(model, epoch=0, options=options, freeze_epochs=1) == "head"
    assert _trainable(model.classifier) and not _trainable(model.resnet)
    fatigue_model.set_trainable(model, epoch=1, options=options, freeze_epochs=1)
    assert _trainable(model.resnet.encoder.stages[-1])
    assert not _trainable(model.resnet.encoder.stages[0])
    assert not _trainable(model.resnet.embedder)


def test_wav2vec2_head_trains_first_then_the_top_layers(wav2vec2_dir, tmp_path):
    options = _opts("voice", wav2vec2_dir, tmp_path)
    model = voice_wav2vec2_model.build_model(options, ["not_stressed", "stressed"])
    voice_wav2vec2_model.set_trainable(model, epoch=0, options=options, freeze_epochs=1)
    assert _trainable(model.classifier) and not _trainable(model.wav2vec2)
    voice_wav2vec2_model.set_trainable(model, epoch=2, options=options, freeze_epochs=1)
    layers = model.wav2vec2.encoder.layers
    assert _trainable(layers[-1]) and _trainable(layers[-2]) and not _trainable(layers[0])
    assert not _trainable(model.wav2vec2.feature_extractor)


def test_fatigue_fine_tunes_from_a_local_checkpoint(resnet_dir, tmp_path):
    roots = write_image_folders(tmp_path / "data", per_class=4)
    result = training_run(
        options=_opts("fatigue", resnet_dir, tmp_path, roots.values()), log=lambda _: None
    )
    assert result.card["model"]["initialisation"] == f"from {resnet_dir}"
    assert result.card["training"]["freeze_epochs"] == 1
    # The checkpoint's preprocessing wins over the config's.
    assert result.sidecar["preprocessing"]["mean"] == [0.5, 0.5, 0.5]
    assert result.sidecar["preprocessing"]["resize"] == 40
    with torch.no_grad():
        assert result.sidecar["training"]["parity_max_abs_diff"] <= 1e-4
