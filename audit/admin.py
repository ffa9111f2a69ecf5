"""The access log in the admin (look only), and the mixin that records admins' looks at a
person's data."""

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from resonance.admin import ReadOnlyAdminMixin

from . import services
from .models import AccessEvent

if TYPE_CHECKING:
    _ModelAdminBase = admin.ModelAdmin[Any]
else:
    _ModelAdminBase = object


def _record(
    request: HttpRequest,
    action: AccessEvent.Action,
    *,
    subject: AbstractBaseUser | None = None,
    detail: str,
) -> None:
    # The admin site lets only signed-in, active staff this far.
    actor = cast(services.Actor, request.user)
    services.record_access(actor=actor, action=action, subject=subject, detail=detail)


class AuditedPersonDataAdminMixin(_ModelAdminBase):
    """For admins of a person's data: opening a record, changing it and listing records are
    written to the access log. Put it first among the bases.

    The person is the object itself for the user model and ``obj.user`` otherwise; an object
    without a person (a team alert) is not recorded when opened or changed.
    """

    def audited_person(self, obj: Model) -> AbstractBaseUser | None:
        if isinstance(obj, AbstractBaseUser):
            return obj
        person = getattr(obj, "user", None)
        return person if isinstance(person, AbstractBaseUser) else None

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Model | None = None,
    ) -> HttpResponse:
        response = super().render_change_form(request, context, add, change, form_url, obj)
        # A GET is the record being shown; a POST that comes back here is a form with errors.
        if request.method == "GET" and obj is not None:
            self._record_about(request, AccessEvent.Action.ADMIN_VIEW_PERSON, obj)
        return response

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> LogEntry:
        # Django calls this once a change has been saved (change form, list edits, password).
        entry = super().log_change(request, obj, message)
        self._record_about(request, AccessEvent.Action.ADMIN_CHANGE_PERSON, obj)
        return entry

    def _record_about(self, request: HttpRequest, action: AccessEvent.Action, obj: Model) -> None:
        """Log ``action`` on ``obj`` against the person it is about (none: nothing logged)."""
        person = self.audited_person(obj)
        if person is not None:
            _record(request, action, subject=person, detail=f"{obj._meta.label_lower} {obj.pk}")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            query = request.GET.urlencode()
            label = self.opts.label_lower
            _record(
                request,
                AccessEvent.Action.ADMIN_LIST_PERSON_DATA,
                detail=f"{label}?{query}" if query else label,
            )
        return response


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The log is kept as written: admins may read it, never add, change or delete a row."""

    list_display = ["actor_username", "actor_role", "action", "team", "subject", "detail", "at"]
    list_filter = ["action", "actor_role"]
    search_fields = ["actor_username", "subject__username"]
    list_select_related = ["team", "subject"]
    date_hierarchy = "at"
