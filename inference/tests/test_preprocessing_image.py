"""Image preprocessing: accepted formats, rejected inputs and the tensor it produces."""

import io
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from inference import preprocessing
from inference.errors import InvalidMedia
from inference.tests.media import image_bytes


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_it_accepts_jpeg_png_and_webp(fmt):
    tensor = preprocessing.preprocess_image(image_bytes(fmt))

    assert tensor.shape == (1, 3, 224, 224)
    assert tensor.dtype == np.float32
    assert tensor.flags["C_CONTIGUOUS"]


def test_it_normalises_with_imagenet_mean_and_std():
    white = preprocessing.preprocess_image(image_bytes("PNG", color=(255, 255, 255)))

    expected = (1.0 - np.array(preprocessing.IMAGENET_MEAN)) / np.array(preprocessing.IMAGENET_STD)
    np.testing.assert_allclose(white[0, :, 100, 100], expected, rtol=1e-5)


def test_it_resizes_the_short_side_and_centre_crops():
    image = Image.new("RGB", (600, 300), (0, 0, 0))
    image.paste((255, 255, 255), (0, 0, 150, 300))  # white band on the far left only
    buffer = io.BytesIO()
    image.save(buffer, "PNG")

    tensor = preprocessing.preprocess_image(buffer.getvalue(), image_size=224, resize=256)

    # 600x300 -> 512x256, crop x in [144, 368): the band (x < 128 after resize) is cut away.
    assert tensor.shape == (1, 3, 224, 224)
    assert tensor[0, 0].max() < 0  # every pixel black after normalisation


def test_it_follows_the_sidecar_image_size():
    tensor = preprocessing.preprocess_image(image_bytes("JPEG"), image_size=96, resize=112)

    assert tensor.shape == (1, 3, 96, 96)


def test_it_applies_exif_orientation():
    image = Image.new("RGB", (400, 200), (10, 10, 10))
    image.paste((250, 250, 250), (0, 0, 400, 100))  # top half bright
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display needs a 90 degree clockwise turn
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())

    upright = preprocessing.decode_image(buffer.getvalue())

    assert upright.size == (200, 400)
    assert upright.getpixel((150, 200))[0] > 200  # the bright half is now on the right
    assert upright.getpixel((50, 200))[0] < 50


def test_it_converts_grayscale_and_alpha_to_rgb():
    buffer = io.BytesIO()
    Image.new("LA", (64, 64), (128, 255)).save(buffer, "PNG")

    assert preprocessing.decode_image(buffer.getvalue()).mode == "RGB"


def test_it_reads_paths_and_rewinds_file_objects(tmp_path):
    data = image_bytes("JPEG")
    path = tmp_path / "face.jpg"
    path.write_bytes(data)
    handle = io.BytesIO(data)

    preprocessing.decode_image(path)
    preprocessing.decode_image(str(path))
    preprocessing.decode_image(handle)

    assert handle.tell() == 0


def test_it_rejects_a_truncated_jpeg():
    data = image_bytes("JPEG", size=(640, 480))

    with pytest.raises(InvalidMedia, match="corrupt or truncated") as err:
        preprocessing.decode_image(data[: len(data) // 2])
    assert err.value.status_code == 400


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return len(payload).to_bytes(4, "big") + kind + payload + crc.to_bytes(4, "big")


def test_it_rejects_a_png_html_polyglot_with_markup_in_a_text_chunk():
    png = image_bytes("PNG", size=(32, 32))
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    polyglot = png[:33] + _png_chunk(b"tEXt", b"Comment\x00" + html) + png[33:]
    Image.open(io.BytesIO(polyglot)).load()  # Pillow alone accepts it

    with pytest.raises(InvalidMedia, match="not part of a picture") as err:
        preprocessing.decode_image(polyglot)
    assert err.value.status_code == 400


def test_it_rejects_a_png_with_data_after_its_end():
    polyglot = image_bytes("PNG", size=(32, 32)) + b"PK\x03\x04 trailing archive"

    with pytest.raises(InvalidMedia, match="not part of a picture"):
        preprocessing.decode_image(polyglot)


def _zip(name: str = "payload.txt") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, "not a picture")
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_it_rejects_an_archive_appended_to_any_image_type(fmt):
    polyglot = image_bytes(fmt, size=(32, 32)) + _zip()
    assert zipfile.is_zipfile(io.BytesIO(polyglot))  # what an unzip tool would open

    with pytest.raises(InvalidMedia, match="not part of a picture"):
        preprocessing.decode_image(polyglot)


def test_it_rejects_a_jpeg_carrying_a_rar_archive():
    with pytest.raises(InvalidMedia, match="not part of a picture"):
        preprocessing.decode_image(image_bytes("JPEG", size=(32, 32)) + b"Rar!\x1a\x07\x00data")


def test_a_plain_jpeg_and_webp_still_decode():
    for fmt in ("JPEG", "WEBP"):
        assert preprocessing.decode_image(image_bytes(fmt, size=(32, 32))).size == (32, 32)


def _bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header claiming width x height pixels; tiny on disk."""
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    rows = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def test_it_rejects_a_100_megapixel_decompression_bomb():
    bomb = _bomb_png(10_000, 10_000)
    assert len(bomb) < 1000

    with pytest.raises(InvalidMedia, match="too large") as err:
        preprocessing.decode_image(bomb)
    assert err.value.status_code == 400


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"GIF89a" + b"\x00" * 64, "gif"),
        (b"<html><body>hello</body></html>", "html"),
        (b"just some text renamed to .jpg", "text"),
        (b"%PDF-1.7 not an image", "pdf"),
    ],
)
def test_it_rejects_types_that_are_not_jpeg_png_or_webp_with_415(data, what):
    with pytest.raises(InvalidMedia, match="JPEG, PNG and WebP") as err:
        preprocessing.decode_image(data)
    assert err.value.status_code == 415


def test_it_rejects_an_empty_file():
    with pytest.raises(InvalidMedia, match="empty"):
        preprocessing.decode_image(b"")


def test_it_rejects_an_oversized_file_with_413(monkeypatch):
    monkeypatch.setattr("inference.image_preprocessing.MAX_IMAGE_BYTES", 100)

    with pytest.raises(InvalidMedia, match="larger than") as err:
        preprocessing.decode_image(image_bytes("PNG", size=(200, 200)))
    assert err.value.status_code == 413


def test_it_accepts_a_jpeg_with_xmp_metadata():
    xmp = (
        b'<?xml version="1.0"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF></rdf:RDF></x:xmpmeta>'
    )
    data = image_bytes("JPEG", xmp=xmp)
    assert b"<x:xmpmeta" in data

    assert preprocessing.decode_image(data).size == (320, 240)


def test_upright_rgb_turns_and_converts_only_when_needed():
    from PIL import Image

    from inference.image_preprocessing import EXIF_ORIENTATION, upright_rgb

    plain = Image.new("RGB", (40, 20))
    assert upright_rgb(plain) is plain  # no copy of a photo that is already upright RGB
    rotated = Image.new("RGB", (40, 20))
    rotated.getexif()[EXIF_ORIENTATION] = 6  # "rotate 90 clockwise to view"
    turned = upright_rgb(rotated)
    assert turned.size == (20, 40) and turned.mode == "RGB"
    assert upright_rgb(Image.new("RGBA", (4, 4))).mode == "RGB"
