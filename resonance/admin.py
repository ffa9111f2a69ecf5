"""Admin building blocks shared by the apps."""

from django.db.models import Model
from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """Admins may look, never add, change or delete (rows that must stay as they were made)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
