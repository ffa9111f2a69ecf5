"""Pytest fixtures shared by every app: active tiny models for all three kinds."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from inference import runtime
from inference.models import ModelVersion
from inference.registry import register_model_file
from inference.testing import write_tiny_models


@pytest.fixture(scope="session")
def tiny_model_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny ONNX models + sidecars for fatigue, voice and burnout, built once per session."""
    return write_tiny_models(tmp_path_factory.mktemp("tiny_models"))


@pytest.fixture
def tiny_models(db: None, tiny_model_files: dict[str, Path]) -> Iterator[dict[str, ModelVersion]]:
    """Registers and activates the tiny models; yields kind -> ModelVersion.

    The process-wide session cache is reset before and after, so no session outlives its test.
    """
    runtime.reset()
    yield {
        kind: register_model_file(path, activate=True) for kind, path in tiny_model_files.items()
    }
    runtime.reset()
