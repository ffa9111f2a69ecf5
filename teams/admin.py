from django.contrib import admin

from resonance.admin import ReadOnlyAdminMixin

from .models import PublishedTeamDay, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count", "created_at"]
    search_fields = ["name", "managers__username", "managers__email"]
    list_filter = ["created_at"]
    filter_horizontal = ["managers"]

    @admin.display(description="members")
    def member_count(self, team: Team) -> int:
        return team.members.count()


@admin.register(PublishedTeamDay)
class PublishedTeamDayAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a published day is frozen (editing one would let two views be subtracted)."""

    list_display = [
        "team",
        "date",
        "status",
        "flow_score",
        "contributors_band",
        "participation_band",
        "at_risk_band",
        "epsilon_spent",
        "published_at",
    ]
    list_filter = ["status", "team"]
    date_hierarchy = "date"
