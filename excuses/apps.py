from django.apps import AppConfig


class ExcusesConfig(AppConfig):
    name = "excuses"
    verbose_name = "Excuses"

    def ready(self) -> None:
        from metrics.signals import personal_data_exporting

        from .selectors import export_excuses_of

        personal_data_exporting.connect(export_excuses_of, dispatch_uid="excuses")
