from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from audit.admin import AuditedPersonDataAdminMixin

from .models import User


@admin.register(User)
class UserAdmin(AuditedPersonDataAdminMixin, BaseUserAdmin):
    list_display = ["username", "email", "role", "team", "is_active", "biometric_consent_at"]
    list_filter = ["role", "team", "is_active", "company_type", "wfh_available"]
    search_fields = ["username", "email", "first_name", "last_name", "team__name"]
    list_select_related = ["team"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (
            "Resonance",
            {
                "fields": (
                    "role",
                    "team",
                    "time_zone",
                    "biometric_consent_at",
                    "company_joined_on",
                    "designation",
                    "company_type",
                    "wfh_available",
                    "email_alerts",
                    "email_reminders",
                )
            },
        ),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Resonance", {"fields": ("email", "role", "team")}),
    )
