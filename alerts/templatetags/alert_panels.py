"""Alert panels that other apps' pages show: ``{% load alert_panels %}`` then a tag.

Pages of metrics and teams include these instead of importing the alerts app: the panel reads
what the signed-in user may see through ``alerts.selectors``.
"""

from typing import Any

from django import template

from alerts.selectors import individual_alerts_for, team_alerts_for

register = template.Library()


def _panel_context(context: template.Context, **values: Any) -> dict[str, Any]:
    # An inclusion tag starts from an empty context: the forms in the panel need these two.
    return {"request": context["request"], "csrf_token": context.get("csrf_token"), **values}


@register.inclusion_tag("alerts/_my_alerts_panel.html", takes_context=True)
def my_alerts_panel(context: template.Context) -> dict[str, Any]:
    """The signed-in employee's own active alerts, with self-care guidance."""
    user = context["request"].user
    return _panel_context(context, my_alerts=individual_alerts_for(user=user))


@register.inclusion_tag("alerts/_team_alerts_panel.html", takes_context=True)
def team_alerts_panel(context: template.Context) -> dict[str, Any]:
    """Active team alerts of the teams the signed-in manager may see."""
    user = context["request"].user
    return _panel_context(context, team_alerts=team_alerts_for(user=user))
