"""An interrupted run resumes from its last finished epoch."""

import pytest

from training import torch_utils
from training.config import TrainOptions
from training.services import training_run
from training.tests.synthetic import write_image_folders


class Interrupted(Exception):
    pass


def test_an_interrupted_fatigue_run_resumes_after_its_last_epoch(tmp_path, monkeypatch):
    roots = write_image_folders(tmp_path / "data", per_class=4)
    options = TrainOptions(
        kind="fatigue",
        data_dirs=tuple(roots.values()),
        out_dir=tmp_path / "work",
        version="r1",
        config="tiny",
        epochs=2,
        quantize=False,
        progress=False,
    )
    real_save = torch_utils.save_checkpoint

    def save_then_stop(path, state):
        real_save(path, state)
        if path.name == torch_utils.CHECKPOINT_FILE:
            raise Interrupted

    monkeypatch.setattr(torch_utils, "save_checkpoint", save_then_stop)
    with pytest.raises(Interrupted):
        training_run(options=options, log=lambda _: None)
    monkeypatch.setattr(torch_utils, "save_checkpoint", real_save)

    result = training_run(options=options, log=lambda _: None)
    history = result.card["training"]["history"]
    assert [h["epoch"] for h in history] == [1, 2]
    assert not result.skipped
