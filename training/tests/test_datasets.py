from pathlib import Path

import numpy as np
import pytest

from training.datasets import (
    FATIGUE_LABEL_MAP,
    DatasetError,
    image_folder_samples,
    load_burnout_csv,
    parse_speech_filename,
    speech_samples,
    split_groups,
    split_indices,
)
from training.tests.synthetic import write_burnout_csv, write_image_folders, write_speech_folder


def _touch_images(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"img_{i}.jpg").write_bytes(b"\xff\xd8\xff")


def test_it_maps_drowsiness_folders_exactly_not_by_substring(tmp_path):
    # "Non Drowsy" contains "drowsy": a substring test would call these faces fatigued.
    _touch_images(tmp_path / "ddd" / "Drowsy", 2)
    _touch_images(tmp_path / "ddd" / "Non Drowsy", 3)
    samples = image_folder_samples([tmp_path / "ddd"])
    labels = sorted((s.path.parent.name, s.label) for s in samples)
    assert labels == [("Drowsy", "fatigued")] * 2 + [("Non Drowsy", "alert")] * 3


def test_it_maps_yawn_and_eye_folders_and_records_the_subset(tmp_path):
    roots = write_image_folders(tmp_path, per_class=2)
    samples = image_folder_samples([roots["yawn"], roots["eyes"]])
    seen = {(s.subset, s.path.parent.name, s.label) for s in samples}
    assert seen == {
        ("yawn", "yawn", "fatigued"),
        ("yawn", "no_yawn", "alert"),
        ("eyes", "closed", "fatigued"),
        ("eyes", "open", "alert"),
    }
    assert len(samples) == 8


def test_it_ignores_unknown_folders_and_non_images(tmp_path):
    _touch_images(tmp_path / "set" / "yawn", 1)
    _touch_images(tmp_path / "set" / "yawning_maybe", 4)
    (tmp_path / "set" / "yawn" / "notes.txt").write_text("x")
    samples = image_folder_samples([tmp_path / "set"])
    assert [s.path.name for s in samples] == ["img_0.jpg"]


def test_it_refuses_a_folder_without_class_folders(tmp_path):
    _touch_images(tmp_path / "misc", 2)
    with pytest.raises(DatasetError, match="No images"):
        image_folder_samples([tmp_path])
    with pytest.raises(DatasetError, match="does not exist"):
        image_folder_samples([tmp_path / "missing"])


def test_the_label_map_has_no_key_that_is_a_substring_trap():
    assert FATIGUE_LABEL_MAP["non_drowsy"] == "alert"
    assert FATIGUE_LABEL_MAP["drowsy"] == "fatigued"
    assert FATIGUE_LABEL_MAP["no_yawn"] == "alert"


@pytest.mark.parametrize(
    ("name", "emotion", "speaker", "corpus"),
    [
        ("03-01-05-02-01-01-12.wav", "angry", "ravdess-12", "ravdess"),
        ("03-01-02-01-02-02-01.flac", "calm", "ravdess-01", "ravdess"),
        ("03-01-08-01-01-01-03.wav", "surprised", "ravdess-03", "ravdess"),
        ("1001_DFA_ANG_XX.wav", "angry", "crema-1001", "crema-d"),
        ("1091_IEO_SAD_HI.wav", "sad", "crema-1091", "crema-d"),
        ("OAF_back_fear.wav", "fearful", "tess-OAF", "tess"),
        ("YAF_dog_ps.wav", "surprised", "tess-YAF", "tess"),
        ("YAF_date_neutral.wav", "neutral", "tess-YAF", "tess"),
    ],
)
def test_it_parses_speech_emotion_file_names(name, emotion, speaker, corpus):
    sample = parse_speech_filename(Path(name))
    assert (sample.emotion, sample.speaker, sample.corpus) == (emotion, speaker, corpus)


@pytest.mark.parametrize(
    "name",
    [
        "03-02-05-02-01-01-12.wav",  # RAVDESS song channel
        "03-01-09-01-01-01-01.wav",  # no such emotion
        "1001_DFA_XYZ_XX.wav",
        "recording.wav",
    ],
)
def test_it_skips_files_it_cannot_label(name):
    assert parse_speech_filename(Path(name)) is None


def test_it_finds_speech_files_in_actor_folders(tmp_path):
    write_speech_folder(tmp_path, actors=2, emotions=("01", "05"), per_emotion=1)
    samples = speech_samples([tmp_path])
    assert sorted((s.speaker, s.emotion) for s in samples) == [
        ("ravdess-01", "angry"),
        ("ravdess-01", "neutral"),
        ("ravdess-02", "angry"),
        ("ravdess-02", "neutral"),
    ]


def test_it_loads_the_burnout_csv_keeping_missing_values(tmp_path):
    path = write_burnout_csv(tmp_path / "train.csv", rows=40)
    table = load_burnout_csv(tmp_path)
    assert table.features.shape == (40, 6)
    # Row 0: resource allocation, mental fatigue and burn rate are all blank.
    assert np.isnan(table.features[0, 4]) and np.isnan(table.features[0, 5])
    assert np.isnan(table.target[0])
    # Row 1 joined on an ISO date in 2008 -> tenure counted to 2009-01-01.
    assert 0 < table.features[1, 0] <= 366
    text = path.read_text().splitlines()[2].split(",")
    assert table.features[1, 2] == (1.0 if text[3] == "Service" else 0.0)
    assert table.features[1, 3] == (1.0 if text[4] == "Yes" else 0.0)


def test_it_refuses_a_csv_without_the_expected_columns(tmp_path):
    (tmp_path / "train.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DatasetError, match="lacks the columns"):
        load_burnout_csv(tmp_path / "train.csv")


def test_speaker_split_is_seeded_and_disjoint():
    speakers = [f"s{i}" for i in range(20)]
    first = split_groups(speakers, seed=7, val_fraction=0.1, test_fraction=0.2)
    again = split_groups(speakers, seed=7, val_fraction=0.1, test_fraction=0.2)
    other = split_groups(speakers, seed=8, val_fraction=0.1, test_fraction=0.2)
    assert first == again
    assert first.test != other.test
    assert (len(first.train), len(first.val), len(first.test)) == (14, 2, 4)
    assert not set(first.train) & set(first.test)
    assert not set(first.val) & (set(first.test) | set(first.train))


def test_index_split_is_stratified():
    strata = ["a"] * 50 + ["b"] * 10
    train, val, test = split_indices(
        60, seed=1, val_fraction=0.1, test_fraction=0.2, stratify=strata
    )
    assert sorted(train + val + test) == list(range(60))
    assert sum(1 for i in test if strata[i] == "b") == 2
    assert sum(1 for i in test if strata[i] == "a") == 10
