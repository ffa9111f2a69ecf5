from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from accounts.requests import AuthenticatedHttpRequest

from .forms import ChatPreferencesForm
from .selectors import chat_settings_for
from .services import chat_preferences_update


@login_required
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Any signed-in user turns their own Slack and Teams reminders and team alerts on or off."""
    user = request.user
    current = chat_settings_for(user)
    if request.method == "POST":
        form = ChatPreferencesForm(request.POST)
        if form.is_valid():
            chat_preferences_update(user=user, **form.cleaned_data)
            messages.success(request, "Chat preferences saved.")
            return redirect("chat:preferences")
    else:
        form = ChatPreferencesForm(
            initial={
                "reminders_enabled": current["reminders_enabled"],
                "alerts_enabled": current["alerts_enabled"],
            }
        )
    return render(request, "chat/preferences.html", {"form": form, "chat": current})
