from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from .models import User


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
