import datetime as dt
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.contrib import admin
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone

from resonance import indicators
from resonance.admin import ActiveIndicatorsAdminMixin, ReadOnlyAdminMixin

from .models import PrivacySpend, PublishedTeamPeriod, Team

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

ON_DEVICE_SHARE_DAYS = 30


class _RecentCheckins(TypedDict):
    # What get_queryset annotates each team with.
    recent_checkins: int
    recent_device_checkins: int
    privacy_month_max: float | None


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count", "on_device_share", "privacy_spent", "created_at"]
    search_fields = ["name", "managers__username", "managers__email"]
    list_filter = ["created_at"]
    filter_horizontal = ["managers"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        since = timezone.now() - dt.timedelta(days=ON_DEVICE_SHARE_DAYS)
        recent = Q(members__checkins__created_at__gte=since, members__checkins__status="done")
        this_month = timezone.localdate().replace(day=1)
        # A subquery, so joining the ledger does not multiply the check-in counts.
        highest_spend = (
            PrivacySpend.objects.filter(user__team=OuterRef("pk"), month=this_month)
            .order_by("-epsilon")
            .values("epsilon")[:1]
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                recent_checkins=Count("members__checkins", filter=recent),
                recent_device_checkins=Count(
                    "members__checkins", filter=recent & Q(members__checkins__source="device")
                ),
                privacy_month_max=Subquery(highest_spend),
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

    @admin.display(description="privacy budget this month (most spent by a member)")
    def privacy_spent(self, team: "WithAnnotations[Team, _RecentCheckins]") -> str:
        spent = team.privacy_month_max or 0.0
        return f"{spent:.2f} of {settings.PRIVACY_CAP_MONTH:g}"


@admin.register(PrivacySpend)
class PrivacySpendAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The privacy ledger, read-only: written by publication alone."""

    list_display = ["user", "user_team", "month", "epsilon", "releases"]
    list_filter = ["month", "user__team"]
    search_fields = ["user__username"]
    list_select_related = ["user__team"]

    @admin.display(description="team now")
    def user_team(self, spend: PrivacySpend) -> str:
        team = spend.user.team
        return team.name if team else "-"


@admin.register(PublishedTeamPeriod)
class PublishedTeamPeriodAdmin(ActiveIndicatorsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a published period is frozen (editing one would let two views be subtracted)."""

    leading_columns = ("team", "period", "date", "status")
    trailing_columns = (
        "contributors_band",
        "participation_band",
        "members_band",
        "at_risk_band",
        "epsilon_spent",
        "published_at",
    )

    def indicator_columns(self) -> tuple[str, ...]:
        return indicators.published_keys()

    list_filter = ["period", "status", "team"]
    date_hierarchy = "date"
