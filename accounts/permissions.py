"""Role checks shared by every app's API views."""

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


class IsEmployee(BasePermission):
    """Signed in with the employee role. Subclasses set a ``message`` for their feature."""

    message = "This is available to employees only."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_employee)
