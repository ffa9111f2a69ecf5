from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found
from django.views.defaults import server_error as default_server_error

from accounts.selectors import home_url_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to the page it uses most."""
    return redirect(home_url_for(request.user))


def _database_status() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # any driver error means "not ok"; report it, don't crash
        return {"ok": False, "error": str(exc)[:200]}


def _broker_status() -> dict:
    if not settings.CELERY_BROKER_URL:
        return {"ok": True, "mode": "in-process"}
    from resonance.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True, "mode": "broker"}
    except Exception as exc:  # broker down must show up here, not as a 500
        return {"ok": False, "mode": "broker", "error": str(exc)[:200]}


def _models_status() -> dict:
    from inference.health import models_status

    return models_status()


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": _database_status(),
        "broker": _broker_status(),
        "models": _models_status(),
    }
    ok = checks["database"]["ok"] and checks["broker"]["ok"] and checks["models"]["ok"]
    return JsonResponse({"ok": ok, **checks}, status=200 if ok else 503)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """API clients get the API's JSON error shape; people get the HTML page."""
    if _wants_json(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": "Something went wrong on our side; try again."}, status=500)
    return default_server_error(request)
