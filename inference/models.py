from django.db import models


class ModelVersion(models.Model):
    """One trained ONNX model file; exactly one active version per kind."""

    class Kind(models.TextChoices):
        FATIGUE = "fatigue", "Fatigue (face image)"
        VOICE = "voice", "Voice stress (audio)"
        BURNOUT = "burnout", "Burnout risk (tabular)"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    version = models.CharField(max_length=64)
    # Relative paths are resolved against settings.MODELS_DIR.
    file_path = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64)
    # Input names, labels, stress weights per class, preprocessing parameters.
    metadata = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="modelversion_kind_version"),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(is_active=True),
                name="modelversion_one_active_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.version}{' (active)' if self.is_active else ''}"
