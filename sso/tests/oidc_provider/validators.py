import datetime as dt

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator


class ConfiguredClaimsValidator(OAuth2Validator):
    """Claims per user from the test configuration; clients named after a fault get it."""

    oidc_claim_scope = None  # every configured claim goes out, whatever the scopes

    def get_additional_claims(self, request):
        return dict(settings.CONFIG["users"][request.user.username]["claims"])

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration = super().get_id_token_dictionary(token, token_handler, request)
        fault = request.client.name
        if fault == "wrong-audience":
            claims["aud"] = "some-other-relying-party"
        elif fault == "expired-id-token":
            expiration = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
            claims["exp"] = int(expiration.timestamp())
        return claims, expiration
