"""The meeting-excuse page. Employees only; every email shown belongs to the viewer."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.requests import AuthenticatedHttpRequest

from . import selectors, services
from .choices import REASONS, TONES
from .forms import ExcuseForm
from .mailto import mailto_url
from .models import ExcuseEmail
from .throttling import seconds_until_allowed

HISTORY_LIMIT = 10


def employee_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in required (redirect), then employees only (403), in the viewer's time zone."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        employee = selectors.check_can_write_excuses(request.user)
        with timezone.override(employee.time_zone or None):
            return view(request, *args, **kwargs)

    return wrapped


@employee_page
@require_http_methods(["GET", "POST"])
def page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET: the form, the last email written (``?show=<id>``, own only) and recent history.
    POST: write an email (rate-limited with the API), then redirect to it."""
    user = request.user
    suggestion = selectors.suggested_reason_for(user=user)
    shown: ExcuseEmail | None = None
    status = 200

    if request.method == "POST":
        form = ExcuseForm(request.POST)
        if form.is_valid():
            wait = seconds_until_allowed(request)
            if wait is not None:
                minutes = max(1, math.ceil(wait / 60))
                form.add_error(
                    None,
                    "You have written many emails in a short time. "
                    f"Please try again in about {minutes} minute{'s' if minutes != 1 else ''}.",
                )
                status = 429
            else:
                try:
                    email = services.excuse_create(
                        user=user, excuse_request=services.ExcuseRequest(**form.cleaned_data)
                    )
                except services.ExcuseInputError as exc:
                    for field, message in exc.errors.items():
                        form.add_error(field if field in form.fields else None, message)
                    status = 400
                else:
                    return redirect(f"{reverse('excuses:page')}?show={email.pk}#result")
        else:
            status = 400
    else:
        shown = _shown_email(request)
        if shown is not None:
            form = ExcuseForm(initial=_inputs_of(shown))
        else:
            initial = {"reason": suggestion.reason} if suggestion.reason else {}
            form = ExcuseForm(initial=initial)

    history = list(selectors.excuse_history_for(user=user, limit=HISTORY_LIMIT))
    context = {
        "form": form,
        "shown": shown,
        "shown_mailto": mailto_url(subject=shown.subject, body=shown.body) if shown else "",
        "suggestion": suggestion,
        "history": [
            (email, mailto_url(subject=email.subject, body=email.body)) for email in history
        ],
        "reasons": REASONS,
        "tones": TONES,
    }
    return render(request, "excuses/page.html", context, status=status)


@employee_page
@require_POST
def clear_history(request: AuthenticatedHttpRequest) -> HttpResponse:
    deleted = services.excuse_history_clear(user=request.user)
    messages.success(request, f"Deleted {deleted} saved email{'s' if deleted != 1 else ''}.")
    return redirect("excuses:page")


def _shown_email(request: AuthenticatedHttpRequest) -> ExcuseEmail | None:
    raw = request.GET.get("show")
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404("No such email.")
    email = selectors.excuse_for(user=request.user, pk=int(raw))
    if email is None:
        raise Http404("No such email.")
    return email


def _inputs_of(email: ExcuseEmail) -> dict[str, Any]:
    return {
        "meeting_title": email.meeting_title,
        "organizer_name": email.organizer_name,
        "meeting_time": email.meeting_time,
        "reason": email.reason,
        "tone": email.tone,
        "propose_alternative": email.propose_alternative,
        "offer_async_update": email.offer_async_update,
    }
