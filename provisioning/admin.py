from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from resonance.admin import ReadOnlyAdminMixin

from .models import ProvisionedGroup, ProvisionedUser, ProvisioningEvent, ScimToken


@admin.register(ScimToken)
class ScimTokenAdmin(admin.ModelAdmin):
    """Tokens are made with ``manage.py scim_token create`` (the token is shown once there);
    here they can be seen and revoked."""

    list_display = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    exclude = ("digest",)
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ScimToken]) -> None:
        revoked = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)


@admin.register(ProvisionedUser)
class ProvisionedUserAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "external_id", "created_at", "updated_at", "released_at")
    search_fields = ("user__username", "external_id")


@admin.register(ProvisionedGroup)
class ProvisionedGroupAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("team", "external_id", "created_at", "updated_at", "released_at")
    search_fields = ("team__name", "external_id")


@admin.register(ProvisioningEvent)
class ProvisioningEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "token_name", "action", "username", "team_name", "detail")
    list_filter = ("action", "token_name")
    search_fields = ("username", "team_name", "detail")
