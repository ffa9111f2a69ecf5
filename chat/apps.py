from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Slack and Microsoft Teams"

    def ready(self) -> None:
        # Alerts and metrics sit below chat: they announce, chat subscribes. Imported here
        # because models load first.
        from alerts.services.notifications import team_alerts_claimed
        from metrics.signals import personal_data_erasing

        from . import handlers

        team_alerts_claimed.connect(handlers.queue_team_alert_messages, dispatch_uid="chat")
        personal_data_erasing.connect(handlers.erase_chat_data_of, dispatch_uid="chat")
