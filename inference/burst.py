"""Fatigue from a burst of frames: eye closure over time, not a single instant.

PERCLOS, the share of time the eyes are closed, is defined over time; one photo catches a
blink 5-10 % of the time, and a smile or a squint narrows the eyes for a moment. A burst is a
few frames a second for a few seconds (the check-in page grabs them while the voice is
recorded). Each frame goes through the single-photo pipeline (gate, landmarks, CNN, the
combiner calibrated on whole faces); frames the gate refuses are counted, not scored. Over the
frames that were scored:

* **eye-closure fraction**: the mean of each frame's P(eyes closed): the expected share of
  frames with closed eyes, a PERCLOS estimate;
* **yawn fraction**: the mean of each frame's P(yawn);
* **blinks**: runs of frames with P(eyes closed) >= 0.5, and the **longest closure** in frames;
* ``P(fatigued) = 1 - (1 - yawn fraction) (1 - eye-closure fraction)``: eyes closed in most
  frames, or a yawn through most of them, reads as fatigued; a blink or a smile in one frame
  of twelve does not.

A burst arrives as a folder of frames, a ZIP archive of frames (what a check-in stores) or,
for ``manage.py predict``, a short video sampled at ``VIDEO_FPS``. Pure functions of frames
plus one model call per frame; no database, no torch.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from inference import face
from inference import fatigue as pipeline
from inference.errors import InvalidMedia
from inference.image_preprocessing import MAX_IMAGE_BYTES
from inference.preprocessing import decode_image

# Enough frames to tell a blink from closed eyes; more than a check-in needs is refused.
MIN_FRAMES = 3
MAX_FRAMES = 24
FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
VIDEO_FPS = 4


@dataclass(frozen=True)
class BurstEstimate:
    probability: float
    eye_closure_fraction: float
    yawn_fraction: float
    blinks: int
    longest_closure_frames: int
    frames: int  # frames scored
    frames_refused: int  # frames the face gate refused

    def summary(self) -> dict[str, float | int]:
        return {
            "frames": self.frames,
            "frames_refused": self.frames_refused,
            "eye_closure_fraction": round(self.eye_closure_fraction, 4),
            "yawn_fraction": round(self.yawn_fraction, 4),
            "blinks": self.blinks,
            "longest_closure_frames": self.longest_closure_frames,
        }


def aggregate(frames: Sequence[pipeline.FatigueEstimate], *, refused: int) -> BurstEstimate:
    """The burst's figures from its scored frames, in order (pure)."""
    if len(frames) < MIN_FRAMES:
        raise InvalidMedia(
            f"Only {len(frames)} of {len(frames) + refused} frames showed one clear face; at "
            f"least {MIN_FRAMES} are needed. Face the camera in good light and try again."
        )
    closed = [f.eyes_closed for f in frames]
    closure = sum(closed) / len(closed)
    yawn = sum(f.yawn for f in frames) / len(frames)
    blinks = longest = run = 0
    for p in closed:
        if p >= 0.5:
            run += 1
            blinks += run == 1
            longest = max(longest, run)
        else:
            run = 0
    return BurstEstimate(
        probability=pipeline.combine(yawn, closure),
        eye_closure_fraction=closure,
        yawn_fraction=yawn,
        blinks=blinks,
        longest_closure_frames=longest,
        frames=len(frames),
        frames_refused=refused,
    )


def estimate(
    images: Iterable[Image.Image],
    *,
    metadata: dict[str, Any],
    predict: Callable[[Any], Any],
) -> BurstEstimate:
    """Each frame through the single-photo pipeline, then ``aggregate``."""
    scored: list[pipeline.FatigueEstimate] = []
    refused = 0
    for image in images:
        try:
            scored.append(pipeline.estimate(image, metadata=metadata, predict=predict))
        except face.PhotoRejected:
            refused += 1
    return aggregate(scored, refused=refused)


def is_archive(source: Any) -> bool:
    """Whether an upload or a stored file is a ZIP archive of frames (a burst)."""
    if isinstance(source, str | Path):
        return Path(source).is_file() and zipfile.is_zipfile(source)
    position = source.tell()
    try:
        return zipfile.is_zipfile(source)
    finally:
        source.seek(position)


def _checked_count(count: int) -> None:
    if count > MAX_FRAMES:
        raise InvalidMedia(f"A burst holds at most {MAX_FRAMES} frames; this one has {count}.")
    if count == 0:
        raise InvalidMedia("The burst holds no frames (JPEG, PNG or WebP).")


def archive_frames(source: Any) -> list[Image.Image]:
    """The frames of a ZIP archive, in name order, each decoded like an uploaded photo.

    A member larger than a photo may be is refused before it is read: the archive may come
    from anywhere a file ends with one (a photo with an archive appended), and reading a
    small compressed member can otherwise unpack gigabytes. (Reading never goes past a
    member's declared size.)"""
    try:
        with zipfile.ZipFile(source) as archive:
            members = sorted(
                (m for m in archive.infolist() if not m.is_dir()), key=lambda m: m.filename
            )
            _checked_count(len(members))
            if any(m.file_size > MAX_IMAGE_BYTES for m in members):
                raise InvalidMedia("A frame of the burst is larger than a photo may be.")
            return [decode_image(io.BytesIO(archive.read(m))) for m in members]
    except zipfile.BadZipFile as exc:
        raise InvalidMedia("The burst archive is corrupt.") from exc


def folder_frames(folder: Path) -> list[Image.Image]:
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in FRAME_SUFFIXES)
    _checked_count(len(paths))
    return [decode_image(p) for p in paths]


def video_frames(path: Path, *, fps: int = VIDEO_FPS) -> list[Image.Image]:
    """``fps`` frames a second of a short video, decoded by ffmpeg (at most MAX_FRAMES)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise InvalidMedia("Reading a video needs ffmpeg, which is not installed.")
    with tempfile.TemporaryDirectory() as work:
        command = [ffmpeg, "-v", "error", "-i", str(path), "-vf", f"fps={fps}"]
        command += ["-frames:v", str(MAX_FRAMES), f"{work}/frame-%03d.png"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise InvalidMedia(f"The video could not be decoded: {result.stderr.strip()[:200]}")
        return folder_frames(Path(work))


def frames_of(source: Any) -> list[Image.Image]:
    """A burst's frames from a folder, a ZIP archive, or (a path) a short video."""
    if isinstance(source, str | Path) and Path(source).is_dir():
        return folder_frames(Path(source))
    if is_archive(source):
        return archive_frames(source)
    if isinstance(source, str | Path):
        return video_frames(Path(source))
    raise InvalidMedia("A burst is a folder or a ZIP archive of frames, or a short video.")


def pack(frames: Iterable[bytes]) -> bytes:
    """Frames (encoded images) as one stored ZIP archive, in order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for index, data in enumerate(frames):
            archive.writestr(f"frame-{index:03d}", data)
    return buffer.getvalue()
