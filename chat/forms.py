from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings

from .models import ChatRecipient, SlackWorkspace


class ChatPreferencesForm(forms.Form):
    reminders_enabled = forms.BooleanField(
        required=False, label="Remind me in Slack or Teams on days I have not checked in"
    )
    alerts_enabled = forms.BooleanField(
        required=False, label="Message me in Slack or Teams when a team I manage has an alert"
    )


def _secret_input() -> forms.PasswordInput:
    # A stored secret is never sent back to the browser; leaving the field empty keeps it.
    return forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})


class SlackWorkspaceAdminForm(forms.ModelForm):
    bot_token = forms.CharField(
        required=False,
        widget=_secret_input(),
        help_text="The Bot User OAuth Token (xoxb-…). Stored encrypted; leave empty to keep "
        "the current one.",
    )

    class Meta:
        model = SlackWorkspace
        fields = ["name", "bot_token", "enabled"]

    def clean_bot_token(self) -> str:
        token = self.cleaned_data["bot_token"].strip()
        if not token:
            if self.instance.pk and self.instance.bot_token:
                return str(self.instance.bot_token)
            raise forms.ValidationError("Paste the workspace's bot token.")
        if not token.startswith("xoxb-"):
            raise forms.ValidationError(
                "A bot token starts with xoxb- (OAuth & Permissions → Bot User OAuth Token)."
            )
        return token


def webhook_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a Teams webhook URL, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "Enter the full webhook URL the Teams workflow shows (https://…)."
    if parts.scheme == "http" and not settings.CHAT_ALLOW_HTTP_WEBHOOKS:
        return "A Teams webhook URL must use https:// (it carries a secret signature)."
    return None


class ChatRecipientAdminForm(forms.ModelForm):
    teams_webhook_url = forms.CharField(
        required=False,
        max_length=2000,
        widget=_secret_input(),
        help_text="The URL of a Teams Workflows webhook that posts to this person's chat. "
        "Stored encrypted; leave empty to keep the current one.",
    )
    remove_teams_webhook = forms.BooleanField(
        required=False, help_text="Stop Teams messages to this person and forget the URL."
    )

    class Meta:
        model = ChatRecipient
        fields = [
            "user",
            "reminders_enabled",
            "alerts_enabled",
            "teams_webhook_url",
            "remove_teams_webhook",
            "slack_user_id",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        url = (cleaned.get("teams_webhook_url") or "").strip()
        if cleaned.get("remove_teams_webhook"):
            cleaned["teams_webhook_url"] = ""
        elif url:
            problem = webhook_url_problem(url)
            if problem:
                self.add_error("teams_webhook_url", problem)
            cleaned["teams_webhook_url"] = url
        else:
            cleaned["teams_webhook_url"] = (
                self.instance.teams_webhook_url if self.instance.pk else ""
            )
        return cleaned
