from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import schema, signals  # noqa: F401  (lockout receiver, OpenAPI auth scheme)
