from django.contrib import admin, messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from audit.admin import AuditedPersonDataAdminMixin
from resonance.admin import ReadOnlyAdminMixin
from resonance.exceptions import DomainError

from .forms import ChatRecipientAdminForm, SlackWorkspaceAdminForm
from .models import ChatDelivery, ChatRecipient, SlackWorkspace
from .services import chat_deliveries_retry, slack_workspace_check


@admin.register(SlackWorkspace)
class SlackWorkspaceAdmin(admin.ModelAdmin):
    form = SlackWorkspaceAdminForm
    list_display = ["name", "enabled", "team_name", "checked_at"]
    readonly_fields = ["team_name", "checked_at"]
    actions = ["test_connection"]

    @admin.action(description="Test the connection (Slack auth.test)")
    def test_connection(self, request: HttpRequest, queryset: QuerySet[SlackWorkspace]) -> None:
        for workspace in queryset:
            try:
                team_name = slack_workspace_check(workspace=workspace)
            except DomainError as exc:
                self.message_user(request, f"{workspace}: {exc.message}", messages.ERROR)
            else:
                self.message_user(
                    request, f"{workspace}: connected to Slack workspace {team_name}."
                )


@admin.register(ChatRecipient)
class ChatRecipientAdmin(admin.ModelAdmin):
    form = ChatRecipientAdminForm
    list_display = ["user", "reminders_enabled", "alerts_enabled", "slack_user_id", "has_teams"]
    list_filter = ["reminders_enabled", "alerts_enabled"]
    search_fields = ["user__username", "user__email", "slack_user_id"]
    raw_id_fields = ["user"]
    readonly_fields = ["slack_looked_up_at", "slack_not_found_at"]

    @admin.display(boolean=True, description="Teams webhook")
    def has_teams(self, obj: ChatRecipient) -> bool:
        return bool(obj.teams_webhook_url)


@admin.register(ChatDelivery)
class ChatDeliveryAdmin(AuditedPersonDataAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The delivery log. A reminder row says someone had not checked in that day, so looking
    is recorded in the access log like any other person's data."""

    list_display = [
        "created_at",
        "recipient",
        "destination",
        "kind",
        "status",
        "attempts",
        "last_error",
        "sent_at",
    ]
    list_filter = ["status", "destination", "kind"]
    search_fields = ["recipient__username", "last_error"]
    date_hierarchy = "created_at"
    actions = ["send_again"]

    def audited_person(self, obj: Model) -> AbstractBaseUser | None:
        return obj.recipient if isinstance(obj, ChatDelivery) else None

    @admin.action(description="Send the selected failed messages again")
    def send_again(self, request: HttpRequest, queryset: QuerySet[ChatDelivery]) -> None:
        count = chat_deliveries_retry(delivery_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} failed message(s) queued again.")
