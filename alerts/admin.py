from django.contrib import admin

from audit.admin import AuditedPersonDataAdminMixin

from .models import BurnoutAlert, CheckinReminder


@admin.register(BurnoutAlert)
class BurnoutAlertAdmin(AuditedPersonDataAdminMixin, admin.ModelAdmin):
    list_display = [
        "rule",
        "severity",
        "status",
        "scope",
        "user",
        "team",
        "window_end",
        "created_at",
    ]
    list_filter = ["status", "scope", "rule", "severity"]
    search_fields = ["user__username", "team__name", "message"]
    raw_id_fields = ["user", "team", "acknowledged_by"]
    readonly_fields = ["created_at", "updated_at", "notified_on", "notified_severity"]
    date_hierarchy = "created_at"


@admin.register(CheckinReminder)
class CheckinReminderAdmin(admin.ModelAdmin):
    list_display = ["user", "date", "sent_at"]
    raw_id_fields = ["user"]
    date_hierarchy = "date"
