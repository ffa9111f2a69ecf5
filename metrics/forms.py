from typing import Any

from django import forms


class CheckinForm(forms.Form):
    """The page's check-in form (the API validates the same fields with its serializer)."""

    image = forms.FileField(required=False, label="Face photo")
    audio = forms.FileField(required=False, label="Voice clip")
    hours_worked = forms.FloatField(required=False, min_value=0, max_value=24)
    sleep_hours = forms.FloatField(required=False, min_value=0, max_value=24)
    meeting_count = forms.IntegerField(required=False, min_value=0, max_value=50)
    mental_fatigue = forms.FloatField(
        required=False, min_value=0, max_value=10, label="Mental fatigue (0-10)"
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if not cleaned.get("image") and not cleaned.get("audio"):
            raise forms.ValidationError("Add a face photo, a voice clip, or both.")
        return cleaned
