import logging
import re
from typing import cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import server_error as default_server_error

from accounts.models import User
from accounts.selectors import home_url_for
from resonance import indicators


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to the page it uses most."""
    # login_required has sent anonymous visitors to the login page.
    return redirect(home_url_for(cast(User, request.user)))


logger = logging.getLogger(__name__)

# What an operator can do about each failure, in words that name no internals: the raw error
# goes to the log, and to signed-in admins.
DATABASE_DOWN = (
    "The database does not answer. Check DATABASE_URL and that the database server is running "
    "and accepts connections; the web process's log has the details."
)
BROKER_DOWN = (
    "The task broker does not answer. Check CELERY_BROKER_URL and that Redis is running; "
    "accepted check-ins wait and are scored once it is back. The web process's log has the "
    "details."
)
OUTBOX_STALE = (
    "Tasks have waited in the outbox for over {seconds} seconds. Check that the relay_outbox "
    "process is running and that the task broker answers; nothing is lost, they are sent once "
    "both are up."
)
_PATH = re.compile(r"(?:/[^\s/:]+)+/([^\s/:]+)")


def _database_status() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # any driver error means "not ok"; report it, don't crash
        logger.warning("Health check: database unavailable: %s", exc)
        return {"ok": False, "error": DATABASE_DOWN, "detail": str(exc)[:200]}


def _broker_status() -> dict:
    if not settings.CELERY_BROKER_URL:
        return {"ok": True, "mode": "in-process"}
    from resonance.celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True, "mode": "broker"}
    except Exception as exc:  # broker down must show up here, not as a 500
        logger.warning("Health check: broker unavailable: %s", exc)
        return {"ok": False, "mode": "broker", "error": BROKER_DOWN, "detail": str(exc)[:200]}


def _outbox_status() -> dict:
    from outbox.selectors import outbox_backlog

    try:
        backlog = outbox_backlog()
    except Exception:  # the database check reports why
        return {"ok": False, "error": DATABASE_DOWN}
    oldest = backlog["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    status = {"ok": True, "waiting": backlog["waiting"], "oldest_seconds": round(age)}
    if age > settings.OUTBOX_STALE_SECONDS:
        status.update(ok=False, error=OUTBOX_STALE.format(seconds=settings.OUTBOX_STALE_SECONDS))
    return status


def _models_status() -> dict:
    from inference.health import models_status

    return models_status()


def _chat_status() -> dict:
    from chat.selectors import chat_health

    try:
        return chat_health()
    except Exception:  # the database check reports why
        return {"ok": False, "error": DATABASE_DOWN}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": _database_status(),
        "broker": _broker_status(),
        "outbox": _outbox_status(),
        "models": _models_status(),
    }
    ok = all(check["ok"] for check in checks.values())
    # A failing Slack or Teams destination degrades notifications, not the service: it is
    # reported under "chat" without turning the answer into a 503.
    checks["chat"] = _chat_status()
    if not (request.user.is_authenticated and request.user.is_admin_role):
        checks = _without_internals(checks)
    return JsonResponse(
        {"ok": ok, "signal_profile": _signal_profile_status(), **checks},
        status=200 if ok else 503,
    )


ADMIN_ONLY_HEALTH_KEYS = {"detail", "waiting", "oldest_seconds"}


def _without_internals(checks: dict) -> dict:
    """The report for anyone but a signed-in admin: no raw driver or broker message, no count
    of waiting tasks (it would tell a stranger how many people are checking in), and model
    files named by file name only."""
    public: dict = {}
    for name, status in checks.items():
        status = {k: v for k, v in status.items() if k not in ADMIN_ONLY_HEALTH_KEYS}
        if name == "models":
            status = {
                key: (
                    {**entry, "error": _PATH.sub(r"\1", entry["error"])}
                    if isinstance(entry, dict) and isinstance(entry.get("error"), str)
                    else entry
                )
                for key, entry in status.items()
            }
        public[name] = status
    return public


def _signal_profile_status() -> dict:
    return {
        "name": indicators.profile(),
        "left_out": [i.key for i in indicators.inactive()],
    }


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _message(exception: Exception | None, default: str) -> str:
    """The domain message an exception was raised with (``PermissionDenied("Check-ins are
    for employees…")``), else ``default``. URL-resolver misses carry no message for people."""
    if exception is None or isinstance(exception, Resolver404):
        return default
    message = exception.args[0] if exception.args else ""
    return message if isinstance(message, str) and message else default


def _error_page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": message}, status=status)
    context = {"status_code": status, "error_title": title, "error_message": message}
    return render(request, f"{status}.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request, 400, "Bad request", "The request could not be understood; go back and retry."
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _message(exception, "Your account does not have access to this page.")
    return _error_page(request, 403, "Not available to your account", message)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """API clients get the API's JSON error shape; people get the HTML page."""
    message = _message(exception, "There is no page at this address.")
    if _wants_json(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return _error_page(request, 404, "Page not found", message)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": "Something went wrong on our side; try again."}, status=500)
    return default_server_error(request)
