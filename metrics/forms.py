import uuid
from typing import Any

from django import forms

from resonance import indicators
from resonance.exceptions import DomainError

from .services import idempotency
from .services.submission import media_request_message

MEDIA_LABELS = {"image": "Face photo", "audio": "Voice clip"}


def _number_field(indicator: indicators.Indicator) -> forms.Field:
    label = indicator.label if indicator.unit != "0-10" else f"{indicator.label} (0-10)"
    if indicator.integer:
        return forms.IntegerField(
            required=False, min_value=int(indicator.low), max_value=int(indicator.high), label=label
        )
    return forms.FloatField(
        required=False, min_value=indicator.low, max_value=indicator.high, label=label
    )


class CheckinForm(forms.Form):
    """The page's check-in form (the API validates the same fields with its serializer): an
    upload for each kind of media the active profile reads, and its self-reported numbers,
    all from ``resonance.indicators``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for media in indicators.media_needed():
            self.fields[media] = forms.FileField(required=False, label=MEDIA_LABELS[media])
        for indicator in indicators.self_reports():
            self.fields[indicator.key] = _number_field(indicator)
        # One key per page: sending the same form twice (a double click, a resent request)
        # stores one check-in (metrics.services.idempotency).
        self.fields["idempotency_key"] = forms.CharField(
            required=False, widget=forms.HiddenInput, initial=uuid.uuid4().hex
        )

    def clean_idempotency_key(self) -> str:
        try:
            return idempotency.clean_idempotency_key(self.cleaned_data.get("idempotency_key"))
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if not any(cleaned.get(media) for media in indicators.media_needed()):
            names = {"image": "a face photo", "audio": "a voice clip"}
            raise forms.ValidationError(media_request_message(verb="Add", names=names))
        return cleaned
