"""The employee's privacy budget panel (My data): what the published team figures have spent
on them this month and this year."""

from typing import Any

from django import template
from django.utils import timezone

from teams.publication import budget_summary, person_budget

register = template.Library()


@register.inclusion_tag("teams/_privacy_budget_panel.html", takes_context=True)
def privacy_budget_panel(context: template.Context) -> dict[str, Any]:
    budget = person_budget(context["request"].user.pk, month=timezone.localdate())
    return {"budget": budget, "summary": budget_summary(budget)}
