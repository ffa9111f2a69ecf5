from typing import cast

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import Token

from .models import User


class RevocableJWTAuthentication(JWTAuthentication):
    """JWT access tokens issued before the user's last credential change are refused."""

    # simplejwt annotates get_user as returning a TypeVar it binds to nothing; it returns an
    # instance of AUTH_USER_MODEL.
    def get_user(self, validated_token: Token) -> User:  # type: ignore[override]
        user = cast(User, super().get_user(validated_token))
        issued_at = validated_token.get("iat")
        changed_at = user.credentials_changed_at
        if issued_at is not None and changed_at and issued_at < int(changed_at.timestamp()):
            raise AuthenticationFailed(
                "This token was issued before your password changed. Sign in again.",
                code="token_revoked",
            )
        return user
