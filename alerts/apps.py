from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        # Metrics and publication sit below alerts: they announce changes through signals and
        # hooks they define, and this app subscribes. Imported here because models load first.
        from metrics.signals import (
            daily_metrics_changed,
            personal_data_erasing,
            personal_data_exporting,
        )
        from teams.publication import register_at_risk_source, team_days_published

        from . import handlers
        from .services.evaluation import individual_alert_periods

        register_at_risk_source(individual_alert_periods)
        daily_metrics_changed.connect(
            handlers.evaluate_after_metrics_changed, dispatch_uid="alerts"
        )
        personal_data_erasing.connect(handlers.erase_alerts_of, dispatch_uid="alerts")
        personal_data_exporting.connect(handlers.export_alerts_of, dispatch_uid="alerts")
        team_days_published.connect(handlers.evaluate_after_publication, dispatch_uid="alerts")
