"""Near-duplicate images: perceptual hashes, groups of look-alikes, and splits that keep them
together.

The image data sets carry no subject ids and hold many frames of the same few people; a random
split puts near-identical frames on both sides and flatters every test figure. Grouping images
whose perceptual hashes are within ``max_distance`` bits, then splitting whole groups, keeps
each look-alike on one side only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np
from PIL import Image
from scipy.fft import dctn

HASH_SIZE = 8
# Bits (of 64) within which two photos count as the same shot; frames of one video differ by
# a few bits, different people by about 30.
DEFAULT_MAX_DISTANCE = 10


def perceptual_hash(image: Image.Image) -> int:
    """64-bit pHash: signs of the 8x8 lowest frequencies of a 32x32 grey DCT, against their
    median (the DC term excluded)."""
    grey = image.convert("L").resize((32, 32), Image.Resampling.LANCZOS)
    frequencies = dctn(np.asarray(grey, dtype=np.float64), norm="ortho")[:HASH_SIZE, :HASH_SIZE]
    values = frequencies.reshape(-1)[1:]
    bits = values > np.median(values)
    return int("".join("1" if b else "0" for b in bits), 2)


def hash_files(paths: Iterable[Path]) -> np.ndarray:
    hashes = []
    for path in paths:
        with Image.open(path) as image:
            hashes.append(perceptual_hash(image))
    return np.asarray(hashes, dtype=np.uint64)


def _popcount(values: np.ndarray) -> np.ndarray:
    as_bytes = values.view(np.uint8).reshape(*values.shape, 8)
    return np.unpackbits(as_bytes, axis=-1).sum(axis=-1)


def hamming_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bit distances between every hash of ``a`` and every hash of ``b``."""
    return _popcount(np.bitwise_xor(a[:, np.newaxis], b[np.newaxis, :]))


def duplicate_groups(hashes: np.ndarray, *, max_distance: int = DEFAULT_MAX_DISTANCE) -> list[int]:
    """A group id per image: images within ``max_distance`` bits, directly or through a chain
    of look-alikes, share a group."""
    parent = list(range(len(hashes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for start in range(0, len(hashes), 512):
        block = hamming_matrix(hashes[start : start + 512], hashes)
        for offset, j in zip(*np.nonzero(block <= max_distance), strict=True):
            i = start + int(offset)
            if i < j:
                parent[root(int(j))] = root(i)
    return [root(i) for i in range(len(hashes))]


# A group id: an int from ``duplicate_groups``, or a string key built from one.
GroupId = TypeVar("GroupId", int, str)


def grouped_split(
    groups: Sequence[GroupId],
    strata: Sequence[str],
    *,
    seed: int,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
) -> tuple[list[int], list[int], list[int]]:
    """Seeded train/val/test indices with whole groups on one side, about the wanted fractions
    of each stratum (a group counts for the stratum most of its images are in)."""
    members: dict[GroupId, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    by_stratum: dict[str, list[GroupId]] = {}
    for group, indices in members.items():
        labels = [strata[i] for i in indices]
        # Ties go to the first stratum by name (a set's order changes between processes).
        by_stratum.setdefault(max(sorted(set(labels)), key=labels.count), []).append(group)
    rng = np.random.default_rng(seed)
    train: list[int] = []
    val: list[int] = []
    test: list[int] = []
    for stratum in sorted(by_stratum):
        stratum_groups = sorted(by_stratum[stratum])
        rng.shuffle(stratum_groups)
        total = sum(len(members[g]) for g in stratum_groups)
        taken = 0
        for group in stratum_groups:
            if taken < test_fraction * total:
                test.extend(members[group])
            elif taken < (test_fraction + val_fraction) * total:
                val.extend(members[group])
            else:
                train.extend(members[group])
            taken += len(members[group])
    return sorted(train), sorted(val), sorted(test)


def leaked_share(
    train_hashes: np.ndarray, test_hashes: np.ndarray, *, max_distance: int = DEFAULT_MAX_DISTANCE
) -> float:
    """Share of test images with a look-alike (within ``max_distance`` bits) in training."""
    if len(test_hashes) == 0 or len(train_hashes) == 0:
        return 0.0
    nearest = hamming_matrix(test_hashes, train_hashes).min(axis=1)
    return float((nearest <= max_distance).mean())
