"""Employee pages: check in, my trends, my data (consent, export, erase). Employees only."""

import csv
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.requests import AuthenticatedHttpRequest
from accounts.services import user_set_consent
from audit import selectors as audit_selectors
from inference import device
from resonance import indicators
from resonance.exceptions import DomainError

from . import baselines, day_figures, on_device, selectors
from .charts import trends_figure
from .errors import UploadTooLarge
from .forms import CheckinForm
from .models import CheckIn
from .permissions import employee_required
from .services import erasure, idempotency, submission
from .throttles import form_checkin_wait
from .uploads import install_size_limit

TRENDS_DAYS = 90
# Days up to today of meeting load listed on My trends (the calendar reads at least the last
# 14), above the days ahead it already plans.
MEETING_DAYS_SHOWN = 14
HISTORY_LIMIT = 30
ERASE_CONFIRMATION = "erase"


@csrf_exempt
def checkin(request: HttpRequest) -> HttpResponse:
    """The check-in page; its script posts to the API. Without JavaScript the form posts here.

    CSRF is checked by ``_checkin_page`` once the size-limit handler is in place: the CSRF
    check reads the body, and handlers cannot be changed after that.
    """
    if request.method == "POST":
        install_size_limit(request)
    try:
        return _checkin_page(request)
    except UploadTooLarge as exc:
        # Only reading the body raises this, and _checkin_page reads it once employee_required
        # has let the request through: the user has signed in.
        signed_in = cast(AuthenticatedHttpRequest, request)
        return _render_checkin(signed_in, CheckinForm(), status=413, error=exc.message)


@employee_required
@csrf_protect
@require_http_methods(["GET", "POST"])
def _checkin_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = CheckinForm()
    status = 200
    if request.method == "POST":
        form = CheckinForm(request.POST, request.FILES)
        first = _replayed(request)
        if first is not None:
            return redirect("metrics:checkin-detail", checkin_id=first.pk)
        if on_device.device_scoring_for(request.user):
            # Private mode scores in the browser; a form post would carry the media here.
            return _render_checkin(
                request,
                CheckinForm(),
                status=400,
                error="Private mode scores your check-in in the browser: turn on JavaScript. "
                "Nothing was stored.",
            )
        if form.is_valid():
            wait = form_checkin_wait(request, request.user)
            if wait is not None:
                return _render_checkin(
                    request,
                    form,
                    status=429,
                    error="You have sent many check-ins in a short time. Try again in about "
                    f"{max(1, round(wait / 60))} minute{'s' if round(wait / 60) > 1 else ''}.",
                )
            try:
                checkin = submission.checkin_submit(user=request.user, **form.cleaned_data)
            except DomainError as exc:
                return _render_checkin(request, form, status=exc.status_code, error=exc.message)
            else:
                return redirect("metrics:checkin-detail", checkin_id=checkin.pk)
        else:
            status = 400
    return _render_checkin(request, form, status=status)


def _replayed(request: AuthenticatedHttpRequest) -> CheckIn | None:
    """The check-in this same form already stored (a double click, a resent post)."""
    try:
        key = idempotency.clean_idempotency_key(request.POST.get("idempotency_key"))
    except DomainError:
        return None  # the form reports it
    return idempotency.checkin_replayed(user=request.user, idempotency_key=key)


def _render_checkin(
    request: AuthenticatedHttpRequest, form: CheckinForm, *, status: int, error: str = ""
) -> HttpResponse:
    context = {
        "form": form,
        "error": error,
        "has_consent": request.user.has_consented,
        "max_upload_bytes": settings.MAX_UPLOAD_BYTES,
        "sync_url": reverse("metrics-api:sync"),
        "photo_check_url": reverse("metrics-api:photo-check"),
        "private_mode": settings.PRIVATE_MODE,
        "on_device": on_device.device_scoring_for(request.user),
        "manifest_url": reverse("metrics-api:device-manifest"),
    }
    response = render(request, "metrics/checkin.html", context, status=status)
    if context["on_device"]:
        # ONNX Runtime Web compiles its WebAssembly: allowed on this page only, for scripts.
        # django-csp reads this attribute off the response; HttpResponse does not declare it.
        response._csp_update = {"script-src": ["'wasm-unsafe-eval'"]}  # type: ignore[attr-defined]
    return response


@employee_required
@require_GET
def checkin_detail(request: AuthenticatedHttpRequest, checkin_id: int) -> HttpResponse:
    checkin = selectors.checkin_for(user=request.user, checkin_id=checkin_id)
    if checkin is None:
        raise Http404("No check-in of yours has this id.")
    context = {
        "checkin": checkin,
        "day": selectors.daily_metric_for_checkin(checkin=checkin),
        "coach": selectors.checkin_coach_message(checkin),
        "status_url": reverse("metrics-api:sync-detail", args=[checkin.pk]),
    }
    return render(request, "metrics/checkin_detail.html", context)


@employee_required
@require_GET
def trends(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows: list[Mapping[str, Any]] = list(
        selectors.daily_metrics_for(
            user=request.user, date_from=today - dt.timedelta(days=TRENDS_DAYS)
        ).values("date", *indicators.score_keys())
    )
    history = {row["date"]: row for row in rows}
    latest_day = max(history) if history else None
    comparisons = [
        c
        for metric in baselines.metrics()
        if latest_day and (c := baselines.compare(history, day=latest_day, metric=metric))
    ]
    context = {
        "figure": trends_figure(rows),
        "has_data": bool(rows),
        "comparisons": comparisons,
        "comparison_day": latest_day,
        "baseline_days_to_go": baselines.days_until_baseline(history),
        "baseline_window": baselines.BASELINE_DAYS,
        "baseline_min_days": baselines.MIN_BASELINE_DAYS,
        "latest": selectors.daily_metrics_for(user=request.user).last(),
        "history": selectors.checkins_for(user=request.user)[:HISTORY_LIMIT],
        "days": TRENDS_DAYS,
        **_meeting_context(request.user),
    }
    return render(request, "metrics/trends.html", context)


def _meeting_context(user: User) -> dict[str, Any]:
    """The calendar's meeting load as context for the trends (not a score: see docs), by the
    person's own days."""
    today = submission.local_date_for(user, timezone.now())
    figures = day_figures.day_figures_for(
        user=user, date_from=today - dt.timedelta(days=TRENDS_DAYS)
    )
    # The last two weeks, and the days ahead the calendar already plans.
    shown_from = today - dt.timedelta(days=MEETING_DAYS_SHOWN - 1)
    recent = [(day, values) for day, values in figures.items() if day >= shown_from]
    most = max((f.get("meeting_hours") or 0.0 for _d, f in recent), default=0.0)
    return {
        "meeting_days": [
            {
                "date": day,
                "planned": day > today,
                **values,
                "bar_percent": round(100 * (values.get("meeting_hours") or 0.0) / most)
                if most
                else 0,
            }
            for day, values in reversed(recent)
        ],
        "meeting_week": day_figures.meeting_week(figures, today=today),
        "meeting_indicators": indicators.day_figures(),
    }


@employee_required
@require_GET
def my_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {
        "checkin_count": selectors.checkins_for(user=request.user).count(),
        "metric_count": selectors.daily_metrics_for(user=request.user).count(),
        "erase_confirmation": ERASE_CONFIRMATION,
        "min_group_size": settings.MIN_GROUP_SIZE,
        "private_mode": settings.PRIVATE_MODE,
        "access_events": audit_selectors.events_about(request.user),
    }
    if settings.PRIVATE_MODE == "optional":
        size = device.first_download_bytes()
        context["device_download_mb"] = None if size is None else round(size / 1e6, 1)
    return render(request, "metrics/my_data.html", context)


@employee_required
@require_POST
def my_consent(request: AuthenticatedHttpRequest) -> HttpResponse:
    choice = request.POST.get("consent")
    if choice not in ("give", "withdraw"):
        messages.error(request, "Choose to give or to withdraw consent.")
        return redirect("metrics:my-data")
    user_set_consent(user=request.user, consent=choice == "give")
    if choice == "give":
        messages.success(request, "Thank you. You can check in now, and withdraw at any time.")
    else:
        messages.success(
            request,
            "Consent withdrawn. No new check-ins will be accepted or scored; your past data "
            "stays until you erase it below.",
        )
    return redirect("metrics:my-data")


@employee_required
@require_GET
def my_data_export_json(request: AuthenticatedHttpRequest) -> HttpResponse:
    data = selectors.my_data_export(user=request.user)
    response = JsonResponse(data, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="resonance-my-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@employee_required
@require_GET
def my_data_export_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    header, rows = selectors.my_data_csv_rows(user=request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="resonance-my-data.csv"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            ["" if v is None else json.dumps(v) if isinstance(v, dict) else v for v in row]
        )
    return response


@employee_required
@require_POST
def my_data_erase(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.POST.get("confirm", "").strip().lower() != ERASE_CONFIRMATION:
        messages.error(request, f"Type '{ERASE_CONFIRMATION}' to confirm; nothing was deleted.")
        return redirect("metrics:my-data")
    result = erasure.my_data_erase(user=request.user)
    messages.success(request, erasure.erasure_summary(result))
    return redirect("metrics:my-data")


@employee_required
@require_POST
def my_on_device_choice(request: AuthenticatedHttpRequest) -> HttpResponse:
    """With ``PRIVATE_MODE=optional``: the employee's choice to score check-ins on their own
    device (nothing but scores leaves it)."""
    if settings.PRIVATE_MODE != "optional":
        messages.error(request, "Your organisation does not offer this choice.")
        return redirect("metrics:my-data")
    on = request.POST.get("scores_on_device") == "on"
    request.user.scores_on_device = on
    request.user.save(update_fields=["scores_on_device"])
    messages.success(
        request,
        "Check-ins are now scored on this device: only scores are sent."
        if on
        else "Check-ins are now scored on the server again.",
    )
    return redirect("metrics:my-data")


@employee_required
@require_GET
def device_model(request: AuthenticatedHttpRequest, sha256: str) -> FileResponse:
    """An ONNX file the browser runs in private mode, by its sha256 (content-addressed, so it
    may be cached for good). Only files of the active on-device models are served."""
    item = device.device_file(sha256)
    if item is None:
        raise Http404("No such model file.")
    response = FileResponse(item.path.open("rb"), content_type="application/octet-stream")
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response
