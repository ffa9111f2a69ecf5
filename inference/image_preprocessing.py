"""Uploaded photos to model inputs: content-sniffed JPEG/PNG/WebP only, a decompression-bomb
guard, EXIF orientation and RGB; then the shorter side resized, a centre crop, ImageNet
mean/std, NCHW float32."""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from inference.errors import InvalidMedia
from inference.media_sources import MediaSource, read_source

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DEFAULT_IMAGE_PREPROCESSING: dict[str, Any] = {
    "image_size": 224,
    "resize": 256,
    "mean": list(IMAGENET_MEAN),
    "std": list(IMAGENET_STD),
}

# Uploads are capped upstream too; this bounds what this module will ever read into memory.
MAX_IMAGE_BYTES = 20 * 1024 * 1024
# A phone photo is 12-50 MP; anything larger is treated as a decompression bomb.
MAX_IMAGE_PIXELS = 60_000_000

# Markup that makes a file renderable as a page or script if it were ever served back. Not
# "<?xml": cameras write XMP metadata, which may carry it, into ordinary JPEGs.
# Plain substring search on a lower-cased copy: much faster than a regex on a large photo.
_MARKUP = (
    b"<script",
    b"<html",
    b"<!doctype",
    b"<iframe",
    b"<body",
    b"<svg",
    b"<object",
    b"<embed",
    b"javascript:",
)


def sniff_image_format(data: bytes) -> str | None:
    """The image format from the first bytes, or None when it is not JPEG/PNG/WebP."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _has_markup(data: bytes) -> bool:
    lowered = data.lower()
    return any(token in lowered for token in _MARKUP)


def _png_has_trailing_data(data: bytes) -> bool:
    end = data.rfind(b"IEND")
    # IEND chunk: 4-byte type + 4-byte CRC; anything after is not part of the image.
    return end == -1 or len(data) > end + 8


# Archive formats a file can carry after the picture (a "polyglot": an image that is also an
# archive). ZIP is found by its end-of-directory record, the others by their signatures.
_ARCHIVE_SIGNATURES = (b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c")


def _carries_archive(data: bytes, fmt: str) -> bool:
    """An archive appended to (or hidden in) the picture, whatever the image format."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        return True
    if any(signature in data for signature in _ARCHIVE_SIGNATURES):
        return True
    if fmt == "WEBP":  # the RIFF header says how long the picture is
        return len(data) > int.from_bytes(data[4:8], "little") + 8 + 1
    return False


def decode_image(source: MediaSource) -> Image.Image:
    """Decode an upload into an upright RGB image, or raise ``InvalidMedia``.

    Rejects anything that is not JPEG/PNG/WebP by content (415), truncated or corrupt files,
    images over ``MAX_IMAGE_PIXELS`` and files carrying HTML/script markup (400).
    """
    data = read_source(source, max_bytes=MAX_IMAGE_BYTES, what="image")
    fmt = sniff_image_format(data)
    if fmt is None:
        raise InvalidMedia("Only JPEG, PNG and WebP images are accepted.", status_code=415)
    if (
        _has_markup(data)
        or (fmt == "PNG" and _png_has_trailing_data(data))
        or _carries_archive(data, fmt)
    ):
        raise InvalidMedia("The image contains data that is not part of a picture.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
                _check_pixels(probe.size)
                probe.verify()
            # verify() leaves the image unusable; reopen to decode.
            decoded = Image.open(io.BytesIO(data), formats=[fmt])
            _check_pixels(decoded.size)
            if fmt == "JPEG":
                # Decode at a reduced scale straight from the DCT when the photo is large.
                decoded.draft("RGB", (512, 512))
            decoded.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb() from exc
    except InvalidMedia:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidMedia("The image is corrupt or truncated and could not be decoded.") from exc
    return upright_rgb(decoded)


EXIF_ORIENTATION = 0x0112


def upright_rgb(image: Image.Image) -> Image.Image:
    """``image`` turned upright by its EXIF orientation, in RGB; the very same object when it
    already is (a check-in's photo passes here several times: no copy each time)."""
    if image.getexif().get(EXIF_ORIENTATION, 1) != 1:
        image = ImageOps.exif_transpose(image)
    return image if image.mode == "RGB" else image.convert("RGB")


def _check_pixels(size: tuple[int, int]) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise InvalidMedia("The image has no pixels.")
    if width * height > MAX_IMAGE_PIXELS:
        raise _bomb()


def _bomb() -> InvalidMedia:
    return InvalidMedia(
        f"The image is too large ({MAX_IMAGE_PIXELS // 1_000_000} megapixels at most)."
    )


def image_to_tensor(
    image: Image.Image,
    *,
    image_size: int = 224,
    resize: int = 256,
    mean: Sequence[float] = IMAGENET_MEAN,
    std: Sequence[float] = IMAGENET_STD,
) -> np.ndarray:
    """Resize the shorter side to ``resize``, centre-crop ``image_size``, normalise; (1,3,H,W)."""
    width, height = image.size
    scale = resize / min(width, height)
    new_size = (max(image_size, round(width * scale)), max(image_size, round(height * scale)))
    image = image.resize(new_size, Image.Resampling.BILINEAR, reducing_gap=3.0)
    left = (new_size[0] - image_size) // 2
    top = (new_size[1] - image_size) // 2
    image = image.crop((left, top, left + image_size, top + image_size))
    pixels = np.asarray(image, dtype=np.float32) * (1.0 / 255.0)
    normalised = (pixels - np.asarray(mean, dtype=np.float32)) / np.asarray(std, dtype=np.float32)
    return np.ascontiguousarray(normalised.transpose(2, 0, 1)[np.newaxis])


def preprocess_image(source: MediaSource, **params: Any) -> np.ndarray:
    """Decode and normalise an upload for the fatigue model; params from the model sidecar."""
    options = {**DEFAULT_IMAGE_PREPROCESSING, **params}
    return image_to_tensor(
        decode_image(source),
        image_size=int(options["image_size"]),
        resize=int(options["resize"]),
        mean=options["mean"],
        std=options["std"],
    )
