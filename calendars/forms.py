from typing import Any

from django import forms

from .api import URL_MAX
from .models import CalendarConnection


class CalendarConnectForm(forms.Form):
    kind = forms.ChoiceField(
        choices=CalendarConnection.Kind.choices,
        widget=forms.RadioSelect,
        initial=CalendarConnection.Kind.ICS,
        label="What to connect",
    )
    url = forms.CharField(
        max_length=URL_MAX,
        label="Address",
        help_text="The calendar's secret ICS address (ends in .ics), or your CalDAV server.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    username = forms.CharField(
        max_length=255, required=False, label="CalDAV user name", widget=forms.TextInput
    )
    password = forms.CharField(
        max_length=1000,
        required=False,
        label="CalDAV password or app password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == CalendarConnection.Kind.CALDAV and not (
            data.get("username") and data.get("password")
        ):
            raise forms.ValidationError(
                "A CalDAV account needs its user name and password (or app password)."
            )
        if kind == CalendarConnection.Kind.ICS:
            data["username"] = data["password"] = ""
        return data
