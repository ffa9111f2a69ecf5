import datetime as dt
from typing import TYPE_CHECKING, TypedDict

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from resonance import indicators
from resonance.admin import ActiveIndicatorsAdminMixin, ReadOnlyAdminMixin

from .models import PublishedTeamDay, Team

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

ON_DEVICE_SHARE_DAYS = 30


class _RecentCheckins(TypedDict):
    # What get_queryset annotates each team with.
    recent_checkins: int
    recent_device_checkins: int


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count", "on_device_share", "created_at"]
    search_fields = ["name", "managers__username", "managers__email"]
    list_filter = ["created_at"]
    filter_horizontal = ["managers"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        since = timezone.now() - dt.timedelta(days=ON_DEVICE_SHARE_DAYS)
        recent = Q(members__checkins__created_at__gte=since, members__checkins__status="done")
        return (
            super()
            .get_queryset(request)
            .annotate(
                recent_checkins=Count("members__checkins", filter=recent),
                recent_device_checkins=Count(
                    "members__checkins", filter=recent & Q(members__checkins__source="device")
                ),
            )
        )

    @admin.display(description="members")
    def member_count(self, team: Team) -> int:
        return team.members.count()

    @admin.display(description=f"scored on device ({ON_DEVICE_SHARE_DAYS} days)")
    def on_device_share(self, team: "WithAnnotations[Team, _RecentCheckins]") -> str:
        """Private mode trusts the device's scores: admins see how much of a team relies on it."""
        if not team.recent_checkins:
            return "-"
        share = team.recent_device_checkins / team.recent_checkins
        return f"{share:.0%} of {team.recent_checkins}"


@admin.register(PublishedTeamDay)
class PublishedTeamDayAdmin(ActiveIndicatorsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a published day is frozen (editing one would let two views be subtracted)."""

    leading_columns = ("team", "date", "status")
    trailing_columns = (
        "contributors_band",
        "participation_band",
        "at_risk_band",
        "epsilon_spent",
        "published_at",
    )

    def indicator_columns(self) -> tuple[str, ...]:
        return indicators.published_keys()

    list_filter = ["status", "team"]
    date_hierarchy = "date"
