from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "sso"
    verbose_name = "Company sign-in"

    def ready(self) -> None:
        from allauth.account.signals import user_logged_in

        from .handlers import remember_provider_sign_in

        user_logged_in.connect(remember_provider_sign_in, dispatch_uid="sso-remember-provider")
