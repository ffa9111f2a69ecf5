"""Turn uploaded bytes into model inputs. Pure functions: no database, no torch.

Images: content-sniffed JPEG/PNG/WebP only, decompression-bomb guard, EXIF orientation, RGB,
resize the shorter side + centre crop, ImageNet mean/std, NCHW float32.

Audio: WAV, FLAC, OGG (Vorbis/Opus) and MP3 through soundfile, resampled with soxr; WebM and
MP4/M4A (what browsers record) through an ``ffmpeg`` subprocess reading a temporary file, at
48 kHz, resampled with ``inference.resampling`` exactly as private mode does in the browser.
Mono; only the speech that the voice-activity detector (``inference.vad``, a small bundled ONNX
model) finds is kept, and a clip with too little of it is refused; zero-mean/unit-variance.
Speech longer than ``max_seconds`` is cropped to its central ``max_seconds`` (one model run per
clip keeps worker time bounded).

The training pipeline imports these functions so that a model sees the same input in training
and in production.

This module is the entry point; the work is done in ``inference.media_sources`` (reading an
upload's bytes), ``inference.image_preprocessing`` and ``inference.audio_preprocessing``, which
also hold the size limits.
"""

from inference.audio_preprocessing import (
    DEFAULT_AUDIO_PREPROCESSING,
    AudioFormat,
    decode_audio,
    gate_speech,
    keep_speech,
    prepare_waveform,
    preprocess_audio,
    sniff_audio_format,
    speech_spans,
    waveform_options,
)
from inference.image_preprocessing import (
    DEFAULT_IMAGE_PREPROCESSING,
    IMAGENET_MEAN,
    IMAGENET_STD,
    decode_image,
    image_to_tensor,
    preprocess_image,
    sniff_image_format,
)
from inference.media_sources import MediaSource, read_source

__all__ = [
    "DEFAULT_AUDIO_PREPROCESSING",
    "DEFAULT_IMAGE_PREPROCESSING",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "AudioFormat",
    "MediaSource",
    "decode_audio",
    "decode_image",
    "gate_speech",
    "image_to_tensor",
    "keep_speech",
    "prepare_waveform",
    "preprocess_audio",
    "preprocess_image",
    "read_source",
    "sniff_audio_format",
    "sniff_image_format",
    "speech_spans",
    "waveform_options",
]
