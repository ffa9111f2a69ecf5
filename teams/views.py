from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not (request.user.is_manager or request.user.is_admin_role):
        raise PermissionDenied("The team dashboard is for managers.")
    return render(request, "teams/dashboard.html")
