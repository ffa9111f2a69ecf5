from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from resonance.exceptions import DomainError

from . import services
from .models import User
from .serializers import LogoutSerializer, PasswordChangeSerializer

if TYPE_CHECKING:
    from rest_framework.views import AsView, GenericView

DetailSerializer = inline_serializer("Detail", {"detail": serializers.CharField()})


class TokenObtainApi(TokenObtainPairView):
    """Exchange username + password for an access/refresh pair (429 when locked out)."""

    @extend_schema(responses={200: None, 401: DetailSerializer, 429: DetailSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


class TokenRefreshApi(TokenRefreshView):
    """Rotate a refresh token: the old one is blacklisted and cannot be used again.

    Presenting a spent refresh token again signs out every session of its login (401).
    """

    @classmethod
    def as_view(cls, **initkwargs: Any) -> AsView[GenericView]:
        # Reuse detection revokes tokens and then answers 401; under ATOMIC_REQUESTS the error
        # would roll the revocation back, so this view never runs in a request transaction.
        return transaction.non_atomic_requests(super().as_view(**initkwargs))

    @extend_schema(responses={200: None, 401: DetailSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


class LogoutApi(APIView):
    """Blacklist the given refresh token. Access tokens expire on their own (minutes)."""

    permission_classes = [AllowAny]

    @extend_schema(request=LogoutSerializer, responses={204: None, 400: DetailSerializer})
    def post(self, request: Request) -> Response:
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            RefreshToken(serializer.validated_data["refresh"]).blacklist()
        except TokenError as exc:
            raise DomainError(f"Cannot log out with this token: {exc}.") from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeApi(APIView):
    """Change the password; every refresh token of the user is revoked."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=PasswordChangeSerializer, responses={204: None, 400: DetailSerializer})
    def post(self, request: Request) -> Response:
        serializer = PasswordChangeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        # IsAuthenticated has refused anonymous requests before this runs.
        user = cast(User, request.user)
        services.user_change_password(
            user=user, new_password=serializer.validated_data["new_password"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
