"""Fatigue from a burst of frames (inference.burst) with the shipped starter model."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image

from inference import burst, services
from inference.errors import InvalidMedia
from inference.fatigue import FatigueEstimate
from inference.registry import register_model_file
from inference.tests.media import eyes_shut, portrait

ROOT = Path(__file__).resolve().parents[2]
STARTER = ROOT / "models" / "fatigue" / "fatigue-starter-2026.12.2.onnx"


def _frame(closed: float, yawn: float = 0.02) -> FatigueEstimate:
    return FatigueEstimate(
        probability=1 - (1 - yawn) * (1 - closed),
        yawn=yawn,
        eyes_closed=closed,
        face_score=0.1,
        eye_scores=(closed, closed),
        features={},
    )


def test_a_blink_in_one_frame_is_not_fatigue_and_closed_eyes_most_of_the_time_are():
    blink = burst.aggregate([_frame(0.9 if i == 4 else 0.05) for i in range(12)], refused=0)
    assert blink.probability < 0.5
    assert (blink.blinks, blink.longest_closure_frames) == (1, 1)
    closed = burst.aggregate([_frame(0.05 if i in (0, 6) else 0.9) for i in range(12)], refused=1)
    assert closed.probability >= 0.5
    assert closed.blinks == 2 and closed.longest_closure_frames == 5
    assert closed.eye_closure_fraction == pytest.approx((10 * 0.9 + 2 * 0.05) / 12)
    assert closed.summary()["frames_refused"] == 1


def test_too_few_usable_frames_are_refused_with_a_reason():
    with pytest.raises(InvalidMedia, match="Only 2 of 7 frames showed one clear face"):
        burst.aggregate([_frame(0.1), _frame(0.1)], refused=5)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_an_archive_keeps_the_frames_in_order_and_bad_archives_are_refused():
    frames = [Image.new("RGB", (8, 8), (i * 20, 0, 0)) for i in range(4)]
    archive = io.BytesIO(burst.pack(_png(f) for f in frames))
    assert burst.is_archive(archive)
    decoded = burst.archive_frames(archive)
    assert [f.getpixel((0, 0))[0] for f in decoded] == [0, 20, 40, 60]
    with pytest.raises(InvalidMedia, match="at most 24 frames"):
        burst.archive_frames(io.BytesIO(burst.pack(_png(frames[0]) for _ in range(25))))
    corrupt = io.BytesIO(burst.pack([b"not an image"]))
    with pytest.raises(InvalidMedia):
        burst.archive_frames(corrupt)
    assert not burst.is_archive(io.BytesIO(_png(frames[0])))


def test_a_member_that_would_unpack_past_a_photos_size_is_refused_unread():
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index in range(3):
            # 21 MB of zeros compress to about 20 kB.
            archive.writestr(f"frame-{index}", b"\0" * (21 * 1024 * 1024))
    assert len(bomb.getvalue()) < 200_000
    with pytest.raises(InvalidMedia, match="larger than a photo may be"):
        burst.archive_frames(bomb)


@pytest.fixture
def starter(db):
    return register_model_file(STARTER, activate=True)


def _burst_folder(tmp_path: Path, closed_frames: set[int], n: int = 12) -> Path:
    awake = portrait()
    shut = eyes_shut(awake)
    folder = tmp_path / "burst"
    folder.mkdir(parents=True)
    for i in range(n):
        (shut if i in closed_frames else awake).save(folder / f"frame-{i:02d}.png")
    return folder


def test_the_starter_scores_an_awake_burst_low_and_a_closed_one_high(starter, tmp_path):
    awake = services.score_burst(_burst_folder(tmp_path / "a", set()))
    blink = services.score_burst(_burst_folder(tmp_path / "b", {5}))
    closed = services.score_burst(_burst_folder(tmp_path / "c", set(range(12)) - {0, 6, 11}))
    assert awake.score < 0.5 and awake.burst is not None and awake.burst["blinks"] == 0
    assert blink.score < 0.5 and blink.burst is not None and blink.burst["blinks"] == 1
    assert closed.score >= 0.5 and closed.burst is not None
    assert closed.burst["longest_closure_frames"] == 5


def test_predict_reports_a_burst_from_a_folder_an_archive_and_a_video(starter, tmp_path):
    import shutil
    import subprocess

    folder = _burst_folder(tmp_path, set(range(2, 10)))
    archive = tmp_path / "burst.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(folder.iterdir()):
            out.write(path, path.name)
    paths = [folder, archive]
    if shutil.which("ffmpeg"):
        video = tmp_path / "burst.mp4"
        frames = str(folder / "frame-%02d.png")
        encode = ["-c:v", "libx264", "-pix_fmt", "yuv420p", str(video)]
        subprocess.run(
            ["ffmpeg", "-v", "error", "-framerate", "4", "-i", frames, *encode], check=True
        )
        paths.append(video)
    out = io.StringIO()
    call_command("predict", "fatigue", *map(str, paths), stdout=out)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(results) == len(paths)
    for result in results:
        assert result["label"] == "fatigued", result
        assert result["burst"]["frames"] == 12 and result["burst"]["blinks"] == 1
