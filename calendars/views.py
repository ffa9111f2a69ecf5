"""The calendar page: an employee connects or disconnects their own calendar (opt-in)."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.requests import AuthenticatedHttpRequest
from metrics.permissions import employee_required
from resonance.exceptions import DomainError

from . import selectors, services
from .forms import CalendarConnectForm


@employee_required
@require_http_methods(["GET", "POST"])
def my_calendar(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET: the connection's status and the form. POST: connect (reads the calendar once)."""
    form = CalendarConnectForm()
    status = 200
    if request.method == "POST":
        form = CalendarConnectForm(request.POST)
        if form.is_valid():
            try:
                _connection, days = services.calendar_connect(
                    user=request.user,
                    credentials=services.CalendarCredentials(**form.cleaned_data),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                hours = sum(day.meeting_hours for day in days)
                messages.success(
                    request,
                    f"Calendar connected: {hours:.1f} h of meetings over the last "
                    f"{len(days)} days. It is read again every day.",
                )
                return redirect("calendars:my-calendar")
        else:
            status = 400
    context = {
        "form": form,
        "status": selectors.calendar_status(user=request.user),
        "sync_days": settings.CALENDAR_SYNC_DAYS,
        "workday_start": settings.CALENDAR_WORKDAY_START,
        "workday_end": settings.CALENDAR_WORKDAY_END,
    }
    return render(request, "calendars/my_calendar.html", context, status=status)


@employee_required
@require_POST
def my_calendar_disconnect(request: AuthenticatedHttpRequest) -> HttpResponse:
    if services.calendar_disconnect(user=request.user):
        messages.success(
            request,
            "Calendar disconnected: its address and password are deleted. The meeting hours "
            "already read stay in your data until you erase it.",
        )
    else:
        messages.info(request, "No calendar was connected.")
    return redirect("calendars:my-calendar")
