from django.apps import AppConfig


class ExcusesConfig(AppConfig):
    name = "excuses"
    verbose_name = "Excuses"
