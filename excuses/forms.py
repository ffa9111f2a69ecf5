from typing import Any

from django import forms

from .choices import REASONS, TONES
from .models import MEETING_TITLE_MAX, ORGANIZER_NAME_MAX
from .services import time_errors

_LOCAL_INPUT = {"type": "datetime-local"}
_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class ExcuseForm(forms.Form):
    """The page's form (the API validates the same fields with its serializer)."""

    meeting_title = forms.CharField(max_length=MEETING_TITLE_MAX, label="Meeting title")
    organizer_name = forms.CharField(
        max_length=ORGANIZER_NAME_MAX,
        label="Organizer's name",
        help_text="As you would greet them, e.g. “Priya” or “Dr. Okafor”.",
    )
    meeting_time = forms.DateTimeField(
        required=False,
        label="Meeting time (optional)",
        widget=forms.DateTimeInput(attrs=_LOCAL_INPUT, format=_LOCAL_FORMAT),
    )
    reason = forms.ChoiceField(choices=list(REASONS.items()))
    tone = forms.ChoiceField(choices=list(TONES.items()), initial="friendly")
    propose_alternative = forms.DateTimeField(
        required=False,
        label="Propose another time (optional)",
        widget=forms.DateTimeInput(attrs=_LOCAL_INPUT, format=_LOCAL_FORMAT),
    )
    offer_async_update = forms.BooleanField(
        required=False, initial=True, label="Offer a written update and to read the notes"
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        errors = time_errors(
            meeting_time=self.cleaned_data.get("meeting_time"),
            propose_alternative=self.cleaned_data.get("propose_alternative"),
        )
        for field, message in errors.items():
            self.add_error(field, message)
        return self.cleaned_data
