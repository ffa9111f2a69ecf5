from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        # Publication sits below alerts: it learns who is at risk, and announces new days,
        # through hooks it defines and this app fills.
        from teams.publication import register_at_risk_source, team_days_published

        from . import handlers
        from .services import individual_alert_periods

        register_at_risk_source(individual_alert_periods)
        team_days_published.connect(handlers.evaluate_after_publication, dispatch_uid="alerts")
