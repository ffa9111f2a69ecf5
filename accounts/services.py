import logging

import jwt
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, Token, UntypedToken

from .models import User

# Set at login and copied through every rotation: names the sign-in a refresh token came from.
FAMILY_CLAIM = "family"

security_logger = logging.getLogger("accounts.security")


def user_revoke_tokens(*, user: User) -> int:
    """Blacklist every outstanding refresh token of ``user`` and refuse older access tokens.

    Returns the number of refresh tokens newly blacklisted.
    """
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    User.objects.filter(pk=user.pk).update(credentials_changed_at=timezone.now())
    return len(revoked)


@transaction.atomic
def user_change_password(*, user: User, new_password: str) -> None:
    """Set a new password and sign the user out of every API client.

    Web sessions other than the current one are invalidated by Django's session hash.
    """
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_revoke_tokens(user=user)


def user_set_consent(*, user: User, consent: bool) -> User:
    user.biometric_consent_at = timezone.now() if consent else None
    user.save(update_fields=["biometric_consent_at"])
    return user


def refresh_token_outstanding_sync(*, token: Token) -> None:
    """Store the final payload of a freshly issued refresh token in its outstanding-token row.

    simplejwt records the row in ``RefreshToken.for_user``, before the login adds its own claims
    (family, session start); ``refresh_token_family_revoke`` reads the family from that row.
    """
    OutstandingToken.objects.filter(jti=token[api_settings.JTI_CLAIM]).update(token=str(token))


@transaction.atomic
def refresh_token_family_revoke(*, user_id: int | str, family: str | None) -> int:
    """Blacklist every outstanding refresh token of one user that comes from one sign-in.

    ``family`` is the login-family claim; ``None`` means the tokens that carry no such claim
    (issued before families existed). Tokens of the user's other sign-ins are untouched.
    Stored payloads are read without checking signatures: this server wrote those rows.
    Returns the number of refresh tokens newly blacklisted.
    """
    outstanding = OutstandingToken.objects.filter(
        user_id=user_id, blacklistedtoken__isnull=True, expires_at__gt=timezone.now()
    ).only("pk", "token")
    members = [
        row for row in outstanding if _unverified_claims(row.token).get(FAMILY_CLAIM) == family
    ]
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=row) for row in members], ignore_conflicts=True
    )
    return len(revoked)


def refresh_token_reuse_revoke(*, token: str) -> bool:
    """Treat a second use of a spent refresh token as theft (OAuth 2.0 Security BCP, 4.14).

    When ``token`` is a genuine refresh token (good signature, not expired) that is already
    blacklisted because it was rotated or logged out, every token of its sign-in is revoked
    (``refresh_token_family_revoke``) and a warning goes to the ``accounts.security`` logger.
    A token revoked by a password change is not reuse: its client simply has not heard yet.
    Returns whether reuse was detected. Runs in autocommit (the API view is non-atomic), so the
    revocation stays although the caller answers with an error.
    """
    try:
        # Checks signature and expiry but not the blacklist, unlike RefreshToken.
        # simplejwt annotates its constructor's argument as a Token; it takes the encoded one.
        presented = UntypedToken(token)  # type: ignore[arg-type]
    except TokenError:
        return False
    if presented.get(api_settings.TOKEN_TYPE_CLAIM) != RefreshToken.token_type:
        return False
    jti = presented.get(api_settings.JTI_CLAIM)
    if not BlacklistedToken.objects.filter(token__jti=jti).exists():
        return False
    user = User.objects.filter(
        **{api_settings.USER_ID_FIELD: presented.get(api_settings.USER_ID_CLAIM)}
    ).first()
    if user is None:
        return False
    issued_at = presented.get("iat")
    changed_at = user.credentials_changed_at
    if changed_at and issued_at is not None and issued_at < int(changed_at.timestamp()):
        return False

    family = presented.get(FAMILY_CLAIM)
    revoked = refresh_token_family_revoke(user_id=user.pk, family=family)
    security_logger.warning(
        "Refresh token reuse detected: user_id=%s family=%s; revoked %d refresh token(s).",
        user.pk,
        family,
        revoked,
    )
    return True


def _unverified_claims(token: str) -> dict:
    try:
        return jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return {}
