from typing import Any

from django.contrib import admin
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from audit.admin import AuditedPersonDataAdminMixin
from resonance.admin import ReadOnlyAdminMixin

from . import selectors
from .models import ExcuseEmail

_SHOWN_FIELDS = ("created_at", "reason", "tone", "language", "backend")


@admin.register(ExcuseEmail)
class ExcuseEmailAdmin(AuditedPersonDataAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Counts only: who wrote what, to whom, and the wording stay private to the author."""

    change_list_template = "excuses/admin_change_list.html"
    list_display = ["created_at", "reason", "tone", "backend"]
    list_filter = ["reason", "tone", "backend", "created_at"]
    fields = _SHOWN_FIELDS
    readonly_fields = _SHOWN_FIELDS
    list_display_links = None
    show_full_result_count = True

    def audited_person(self, obj: Model) -> AbstractBaseUser | None:
        # The page names no author; a log row naming one would tell admins who wrote what.
        return None

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        try:
            extra_context["excuse_counts"] = selectors.excuse_counts(user=request.user)
        except PermissionDenied:
            extra_context["excuse_counts"] = None
        return super().changelist_view(request, extra_context=extra_context)
