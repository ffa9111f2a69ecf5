from typing import Any

from django.apps import AppConfig


class InferenceConfig(AppConfig):
    name = "inference"
    verbose_name = "Inference"

    def ready(self) -> None:
        from celery.signals import worker_process_init

        from inference import checks  # noqa: F401  (registers the system check)

        worker_process_init.connect(_load_models_in_worker, weak=False)


def _load_models_in_worker(**kwargs: Any) -> None:
    """Build every session (and those of the speech detector, the face models and the voice
    encoder) when a worker process starts, so the first check-in is not slow."""
    import logging

    from django.db import DatabaseError

    from inference import face, vad, voice_features
    from inference.errors import ModelUnavailable
    from inference.runtime import load_active_models
    from resonance import indicators

    logger = logging.getLogger("inference")
    try:
        logger.info("Models loaded: %s", load_active_models())
    except DatabaseError:
        # Not fatal: each task loads its model on first use and reports what is missing.
        logger.exception("Could not read the model registry at worker start")
    # Only what the signal profile reads: under "eu" no voice model is loaded at all.
    bundled = []
    if indicators.needs_media("audio"):
        bundled += [("Speech detector", vad.load), ("Voice encoder", voice_features.load)]
    if indicators.needs_media("image"):
        bundled.append(("Face models", face.load))
    for name, load in bundled:
        try:
            logger.info("%s loaded: %s", name, load())
        except ModelUnavailable as exc:
            # Not fatal either: each upload of that kind then fails with this reason.
            logger.error("%s", exc.message)
