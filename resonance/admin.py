"""Admin building blocks shared by the apps."""

from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """Admins may look, never add, change or delete (rows that must stay as they were made)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
