from django.contrib import admin
from django.http import HttpRequest

from .models import CalendarConnection


@admin.register(CalendarConnection)
class CalendarConnectionAdmin(admin.ModelAdmin):
    """Which calendars fail to sync, for operators; never the address or the password, and no
    meeting figures (those are the person's own)."""

    list_display = ("user", "kind", "connected_at", "last_synced_at", "last_error_at")
    list_filter = ("kind",)
    fields = ("user", "kind", "connected_at", "last_synced_at", "last_error", "last_error_at")
    readonly_fields = fields
    search_fields = ("user__username",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
