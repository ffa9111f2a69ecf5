"""Check-ins and daily metrics in the admin: read-only, only what the profile computes, and
every look written to the access log."""

from django.contrib import admin

from audit.admin import AuditedPersonDataAdminMixin
from resonance.admin import ActiveIndicatorsAdminMixin, ReadOnlyAdminMixin

from .models import CheckIn, DailyMetric


@admin.register(CheckIn)
class CheckInAdmin(
    AuditedPersonDataAdminMixin, ActiveIndicatorsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    leading_columns = ("id", "user", "local_date", "status", "source")
    trailing_columns = ("created_at",)
    list_filter = ["status", "source", "created_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"


@admin.register(DailyMetric)
class DailyMetricAdmin(
    AuditedPersonDataAdminMixin, ActiveIndicatorsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    leading_columns = ("user", "team", "date")
    trailing_columns = ("checkin_count",)
    list_filter = ["date", "team"]
    search_fields = ["user__username"]
    list_select_related = ["user", "team"]
    date_hierarchy = "date"
