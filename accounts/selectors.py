from django.urls import reverse

from .models import User


def home_url_for(user: User) -> str:
    """The landing page for a user's role."""
    if user.is_admin_role:
        return reverse("admin:index")
    if user.is_manager:
        return reverse("teams:dashboard")
    return reverse("metrics:checkin")
