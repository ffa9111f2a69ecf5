from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and scale data for every other app: it sits above them all, nothing imports it."""

    name = "demo"
    verbose_name = "Demo data"
