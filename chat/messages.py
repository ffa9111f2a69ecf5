"""What a chat message says, and how Slack and Teams are asked to show it.

A message is stored once, destination-neutral (``ChatMessage.as_payload``), and rendered per
destination when it is sent: Slack blocks (``slack_blocks``) or an Adaptive Card in the
envelope Teams Workflows webhooks take (``teams_card``). Pure functions, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from alerts.services.notifications import AlertText


@dataclass(frozen=True)
class ChatMessage:
    title: str
    lines: tuple[str, ...]
    link_label: str = ""
    link_url: str = ""

    @property
    def fallback_text(self) -> str:
        """Plain text for notifications and clients that show no blocks or cards."""
        return f"{self.title}: {' '.join(self.lines)}"

    def as_payload(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "lines": list(self.lines),
            "link_label": self.link_label,
            "link_url": self.link_url,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ChatMessage:
        return cls(
            title=str(payload["title"]),
            lines=tuple(str(line) for line in payload["lines"]),
            link_label=str(payload.get("link_label", "")),
            link_url=str(payload.get("link_url", "")),
        )


def _site_link(path: str) -> str:
    return f"{settings.CHAT_SITE_URL}{path}" if settings.CHAT_SITE_URL else ""


def reminder_message(*, what: str) -> ChatMessage:
    """The daily check-in reminder; ``what`` names what a check-in takes (a photo, a clip)."""
    return ChatMessage(
        title="Your daily check-in",
        lines=(
            f"You have not checked in today. Checking in ({what}) takes under a minute and "
            "keeps your trends (and your team's) up to date.",
            "You can turn these messages off under Chat messages (/chat/preferences/).",
        ),
        link_label="Check in",
        link_url=_site_link("/checkin/"),
    )


def team_alert_message(text: AlertText) -> ChatMessage:
    """A team alert for the team's managers: the same published wording as its email."""
    return ChatMessage(
        title=text.title,
        lines=(
            text.intro,
            text.message,
            text.guidance,
            "Open Resonance to see the team's published figures. You can turn these messages "
            "off under Chat messages (/chat/preferences/).",
        ),
        link_label="Open the team dashboard",
        link_url=_site_link("/dashboard/"),
    )


def slack_blocks(message: ChatMessage) -> list[dict[str, Any]]:
    """Block Kit blocks: a header, one section per line, a link button when there is a URL."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}}
    ]
    blocks += [
        {"type": "section", "text": {"type": "plain_text", "text": line[:3000]}}
        for line in message.lines
        if line
    ]
    if message.link_url:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": message.link_label},
                        "url": message.link_url,
                    }
                ],
            }
        )
    return blocks


def teams_card(message: ChatMessage) -> dict[str, Any]:
    """The message envelope a Teams Workflows webhook ("post to a chat when a webhook request
    is received") takes, with one Adaptive Card."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": message.title, "weight": "Bolder", "size": "Medium"}
    ]
    body += [{"type": "TextBlock", "text": line, "wrap": True} for line in message.lines if line]
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if message.link_url:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": message.link_label, "url": message.link_url}
        ]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }
