from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "calendars"
    verbose_name = "Calendars"

    def ready(self) -> None:
        # Models load first: these modules import them.
        from metrics.day_figures import register_day_source
        from metrics.signals import personal_data_erasing

        from .handlers import on_personal_data_erasing
        from .selectors import day_source

        register_day_source(day_source)
        personal_data_erasing.connect(on_personal_data_erasing, dispatch_uid="calendars-erase")
