from typing import Any

from django import template

from sso.selectors import company_providers, local_passwords_offered

register = template.Library()


@register.inclusion_tag("sso/_sign_in_button.html", takes_context=True)
def company_sign_in_button(context: template.Context, next_url: str = "") -> dict[str, Any]:
    """A "Sign in with <name>" form per configured provider, or nothing when company sign-in
    is off."""
    return {
        "providers": company_providers(),
        "next": next_url,
        "local_passwords": local_passwords_offered(),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def password_form_offered() -> bool:
    return local_passwords_offered()
