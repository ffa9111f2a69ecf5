"""What provisioning adds to people and teams: the identity provider's tokens, its own ids
for the people and teams it manages, and a trail of every change it made."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ScimToken(models.Model):
    """A bearer token an identity provider presents to ``/scim/v2/``.

    Only a SHA-256 digest of the token is stored (the token has 256 random bits, so a fast hash
    is enough); ``prefix`` is the token's public first part, used to find the row without
    comparing every digest. Created and revoked with ``manage.py scim_token``.
    """

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "SCIM token"

    def __str__(self) -> str:
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class ProvisionedUser(models.Model):
    """The identity provider's view of one person: its ``externalId``, and whether it deleted
    the person (``released_at``): the account then stays, inactive, with its data, but SCIM no
    longer shows it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provisioning"
    )
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id} ({self.external_id or 'no externalId'})"


class ProvisionedGroup(models.Model):
    """The identity provider's view of one team (a SCIM Group): its ``externalId``, and
    whether it deleted the group (``released_at``): the team and its published history stay,
    without members, and SCIM no longer shows it."""

    team = models.OneToOneField("teams.Team", on_delete=models.CASCADE, related_name="provisioning")
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.team_id} ({self.external_id or 'no externalId'})"


class ProvisioningEvent(models.Model):
    """One change made through SCIM. Written only by ``provisioning.services``; never changed.

    Names are copied at write time so the row stays readable once the token, the person or
    the team is gone. ``detail`` names what changed (attribute names, team names), never a
    health value.
    """

    class Action(models.TextChoices):
        USER_CREATED = "user_created", "Created a person"
        USER_UPDATED = "user_updated", "Changed a person's attributes"
        USER_DEACTIVATED = "user_deactivated", "Deactivated a person (signed out everywhere)"
        USER_REACTIVATED = "user_reactivated", "Re-activated a person"
        USER_DELETED = "user_deleted", "Deleted a person from provisioning (account kept)"
        GROUP_CREATED = "group_created", "Created a team"
        GROUP_UPDATED = "group_updated", "Changed a team"
        GROUP_DELETED = "group_deleted", "Deleted a team from provisioning (team kept)"
        MEMBER_ADDED = "member_added", "Added a person to a team"
        MEMBER_MOVED = "member_moved", "Moved a person from another team"
        MEMBER_REMOVED = "member_removed", "Removed a person from a team"

    token = models.ForeignKey(
        ScimToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_name = models.CharField(max_length=100)
    action = models.CharField(max_length=32, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(max_length=150, blank=True)
    team = models.ForeignKey(
        "teams.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team_name = models.CharField(max_length=120, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.token_name} {self.action} at {self.at:%Y-%m-%d %H:%M}"
