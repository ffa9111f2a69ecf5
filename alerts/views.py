from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedHttpRequest
from resonance.exceptions import DomainError

from . import selectors
from .forms import NotificationPreferencesForm
from .services.acknowledgement import alert_acknowledge
from .services.preferences import notification_preferences_update


@login_required
@require_POST
def acknowledge(request: AuthenticatedHttpRequest, alert_id: int) -> HttpResponse:
    """Managers of the team (and admins) acknowledge a team alert from the dashboard.

    Alerts the user may not see answer 404; visible alerts they may not acknowledge, 403.
    """
    alert = selectors.alert_for_acknowledge(user=request.user, alert_id=alert_id)
    if alert is None:
        raise Http404("No such alert.")
    try:
        alert_acknowledge(alert=alert, user=request.user)
    except DomainError as exc:
        if exc.status_code == 403:
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Alert acknowledged: {alert.get_rule_display()}.")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("teams:dashboard")
    return redirect(next_url)


@login_required
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Any signed-in user turns their own alert emails and check-in reminders on or off."""
    user = request.user
    if request.method == "POST":
        form = NotificationPreferencesForm(request.POST)
        if form.is_valid():
            notification_preferences_update(user=user, **form.cleaned_data)
            messages.success(request, "Email preferences saved.")
            return redirect("alerts:preferences")
    else:
        form = NotificationPreferencesForm(
            initial={"email_alerts": user.email_alerts, "email_reminders": user.email_reminders}
        )
    return render(request, "alerts/preferences.html", {"form": form})
