from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed


class RevocableJWTAuthentication(JWTAuthentication):
    """JWT access tokens issued before the user's last credential change are refused."""

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        issued_at = validated_token.get("iat")
        changed_at = user.credentials_changed_at
        if issued_at is not None and changed_at and issued_at < int(changed_at.timestamp()):
            raise AuthenticationFailed(
                "This token was issued before your password changed. Sign in again.",
                code="token_revoked",
            )
        return user
