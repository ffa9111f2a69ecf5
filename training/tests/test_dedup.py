"""Perceptual hashes find re-encoded and resized copies; grouped splits keep them on one side."""

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from training import dedup


def photo(seed: int, size: int = 96) -> Image.Image:
    """A smooth random scene: low frequencies dominate, as in a photo."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (6, 6, 3), dtype=np.uint8)
    return Image.fromarray(small).resize((size, size), Image.Resampling.BICUBIC)


def reencoded(image: Image.Image, quality: int = 60) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


def distance(a: Image.Image, b: Image.Image) -> int:
    return bin(dedup.perceptual_hash(a) ^ dedup.perceptual_hash(b)).count("1")


def test_copies_hash_alike_and_different_scenes_do_not():
    original = photo(1)
    assert distance(original, reencoded(original)) <= 4
    assert distance(original, original.resize((64, 64))) <= 4
    assert distance(original, original.filter(ImageFilter.GaussianBlur(1))) <= 6
    others = [distance(original, photo(seed)) for seed in range(2, 12)]
    assert min(others) > dedup.DEFAULT_MAX_DISTANCE


def test_look_alikes_chain_into_one_group():
    base = photo(1)
    images = [base, reencoded(base), reencoded(base).resize((80, 80)), photo(2), photo(3)]
    hashes = np.asarray([dedup.perceptual_hash(i) for i in images], dtype=np.uint64)
    groups = dedup.duplicate_groups(hashes)

    assert groups[0] == groups[1] == groups[2]
    assert len({groups[0], groups[3], groups[4]}) == 3


def test_a_grouped_split_keeps_every_group_on_one_side():
    groups = [i // 5 for i in range(200)]  # 40 groups of 5 look-alikes
    strata = ["yawn" if g % 2 else "no_yawn" for g in groups]
    train, val, test = dedup.grouped_split(groups, strata, seed=3)

    sides = {}
    for side, indices in (("train", train), ("val", val), ("test", test)):
        for index in indices:
            sides.setdefault(groups[index], set()).add(side)
    assert all(len(s) == 1 for s in sides.values())
    assert sorted(train + val + test) == list(range(200))
    assert 30 <= len(test) <= 50 and 10 <= len(val) <= 30
    assert {strata[i] for i in test} == {"yawn", "no_yawn"}
    assert dedup.grouped_split(groups, strata, seed=3) == (train, val, test)


def test_leaked_share_counts_test_images_with_a_look_alike_in_training():
    hashes = np.asarray([0b0, 0b1, 0xFFFF_FFFF_0000_0000, 0x0F0F_0F0F_0F0F_0F0F], dtype=np.uint64)
    assert dedup.leaked_share(hashes[:1], hashes[1:]) == 1 / 3
    assert dedup.leaked_share(hashes[:1], hashes[2:]) == 0.0


def test_the_fatigue_split_is_the_same_in_every_process(tmp_path):
    """String hashes differ between Python processes; the split must not."""
    import subprocess
    import sys

    from training.tests.synthetic import write_image_folders

    roots = write_image_folders(tmp_path / "data", per_class=4)
    script = (
        "import django, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
        "'resonance.settings'); django.setup()\n"
        "from training import fatigue_data; from training.config import TrainOptions\n"
        "from training.datasets import image_folder_samples\n"
        "from pathlib import Path\n"
        "samples = image_folder_samples([Path(p) for p in sys.argv[1:]])\n"
        "print([s.path.name for s in fatigue_data.split(samples, seed=7)[2]])"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", script, *map(str, roots.values())],
            capture_output=True,
            text=True,
            check=True,
            env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)},
        ).stdout
        for seed in (1, 2)
    }
    assert len(runs) == 1


def test_groups_split_evenly_between_strata_go_the_same_way_in_every_process():
    """A tie between two strata is broken by name, not by a set's (hash-seeded) order."""
    import os
    import subprocess
    import sys

    script = (
        "from training import dedup\n"
        # Groups 0-9 hold one image of each stratum (a tie); 10-29 and 30-49 are pure.
        "groups = [g // 2 for g in range(20)] + list(range(10, 50))\n"
        "a, b = 'yawn/alert', 'yawn/fatigued'\n"
        "strata = [a, b] * 10 + [a] * 20 + [b] * 20\n"
        "print(dedup.grouped_split(groups, strata, seed=7))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        ).stdout
        for seed in range(1, 9)
    }
    assert len(runs) == 1
