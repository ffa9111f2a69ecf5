from django.contrib import admin

from .models import Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count", "created_at"]
    search_fields = ["name", "managers__username", "managers__email"]
    list_filter = ["created_at"]
    filter_horizontal = ["managers"]

    @admin.display(description="members")
    def member_count(self, team: Team) -> int:
        return team.members.count()
