import time

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.signals import user_logged_in
from rest_framework import serializers
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import RefreshToken

SESSION_START_CLAIM = "session_start"


class TokenObtainPairSerializer(jwt_serializers.TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user) -> RefreshToken:
        token = super().get_token(user)
        # Survives rotation (the refreshed token keeps its claims), so it caps the session.
        token[SESSION_START_CLAIM] = int(time.time())
        token["role"] = user.role
        return token

    def validate(self, attrs):
        data = super().validate(attrs)
        # Tell django-axes (and anyone else listening) about the successful login, so the
        # failure count resets exactly as it does for the web login.
        user_logged_in.send(
            sender=self.user.__class__, request=self.context.get("request"), user=self.user
        )
        return data


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])
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
