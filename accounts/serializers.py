import time
import uuid
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.signals import user_logged_in
from rest_framework import serializers
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import AuthUser
from rest_framework_simplejwt.tokens import Token

from . import services
from .models import User

SESSION_START_CLAIM = "session_start"
REUSED_TOKEN_DETAIL = (
    "This refresh token was already used; every session from that sign-in has been signed out. "
    "Sign in again."
)


class TokenObtainPairSerializer(jwt_serializers.TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user: AuthUser) -> Token:
        token = super().get_token(user)
        # Survives rotation (the refreshed token keeps its claims), so it caps the session.
        token[SESSION_START_CLAIM] = int(time.time())
        # Also survives rotation: reuse of a spent token revokes the whole chain of this login.
        token[services.FAMILY_CLAIM] = uuid.uuid4().hex
        # The user who signed in: an instance of AUTH_USER_MODEL.
        token["role"] = cast(User, user).role
        services.refresh_token_outstanding_sync(token=token)
        return token

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        data = super().validate(attrs)
        # Tell django-axes (and anyone else listening) about the successful login, so the
        # failure count resets exactly as it does for the web login.
        user_logged_in.send(
            sender=self.user.__class__, request=self.context.get("request"), user=self.user
        )
        return data


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        try:
            refresh = self.token_class(attrs["refresh"])
        except TokenError:
            if services.refresh_token_reuse_revoke(token=attrs["refresh"]):
                raise InvalidToken(REUSED_TOKEN_DETAIL, code="token_reused") from None
            raise
        started = refresh.get(SESSION_START_CLAIM)
        max_age = settings.JWT_SESSION_MAX_HOURS * 3600
        if started is None or time.time() - started > max_age:
            raise InvalidToken("Your session has expired. Sign in again.")
        return super().validate(attrs)


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(trim_whitespace=False)
    new_password = serializers.CharField(trim_whitespace=False)

    def validate_old_password(self, value: str) -> str:
        if not self.context["request"].user.check_password(value):
            raise serializers.ValidationError("Your current password is not correct.")
        return value

    def validate_new_password(self, value: str) -> str:
        password_validation.validate_password(value, self.context["request"].user)
        return value
