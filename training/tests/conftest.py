from collections.abc import Iterator
from pathlib import Path

import pytest

from inference import runtime


@pytest.fixture
def models_dir(settings, tmp_path) -> Iterator[Path]:
    """A private MODELS_DIR; the inference session cache is reset around the test."""
    settings.MODELS_DIR = tmp_path / "models"
    runtime.reset()
    yield settings.MODELS_DIR
    runtime.reset()
