"""Writes for SCIM provisioning: tokens, people, teams and the trail of what changed.

Every change an identity provider makes is one transaction and leaves a
``ProvisioningEvent``. Deactivation signs the person out everywhere (web sessions deleted,
refresh tokens blacklisted, older access tokens refused) and keeps their account and data;
re-activation lets them sign in again.
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.services import user_change_password, user_revoke_tokens
from resonance.exceptions import DomainError
from teams.models import Team

from .attributes import GroupFields, UserFields
from .errors import ScimError, invalid_value
from .models import ProvisionedGroup, ProvisionedUser, ProvisioningEvent, ScimToken
from .selectors import scim_teams_with_name, scim_token_find, scim_users, scim_users_with_username

TOKEN_KIND = "rscim"
# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)

Action = ProvisioningEvent.Action


# --- Tokens --------------------------------------------------------------------------


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def scim_token_create(*, name: str) -> tuple[ScimToken, str]:
    """Make a token for one identity provider. Returns the row and the token itself, which
    is stored nowhere (only its digest) and must be shown once to the operator."""
    name = name.strip()
    if not name or len(name) > 100:
        raise DomainError("A token name must have 1 to 100 characters.")
    if ScimToken.objects.filter(name=name).exists():
        raise DomainError(f"A token named {name!r} already exists; pick another name.")
    prefix = secrets.token_hex(6)
    raw = f"{TOKEN_KIND}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ScimToken.objects.create(name=name, prefix=prefix, digest=_digest(raw))
    return token, raw


@transaction.atomic
def scim_token_revoke(*, name: str) -> ScimToken:
    """Refuse the named token from now on. Revoking a revoked token changes nothing."""
    token = ScimToken.objects.select_for_update().filter(name=name).first()
    if token is None:
        raise DomainError(f"No token named {name!r}.", status_code=404)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def scim_token_authenticate(*, raw: str) -> ScimToken | None:
    """The live token ``raw`` is, else None. Records when it was last used (to the minute)."""
    kind, _, rest = raw.partition("_")
    prefix, _, secret = rest.partition("_")
    if kind != TOKEN_KIND or not prefix or not secret:
        return None
    token = scim_token_find(prefix=prefix)
    if token is None or token.revoked_at is not None:
        return None
    if not hmac.compare_digest(token.digest, _digest(raw)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ScimToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
    return token


# --- The trail -----------------------------------------------------------------------


def _record(
    *,
    token: ScimToken,
    action: str,
    user: User | None = None,
    team: Team | None = None,
    detail: str = "",
) -> None:
    ProvisioningEvent.objects.create(
        token=token,
        token_name=token.name,
        action=action,
        user=user,
        username=user.username if user is not None else "",
        team=team,
        team_name=team.name if team is not None else "",
        detail=detail[:200],
    )


# --- People --------------------------------------------------------------------------


def user_sign_out_everywhere(*, user: User) -> None:
    """End every web session of ``user``, blacklist their refresh tokens and refuse their
    access tokens issued until now (``accounts.services.user_revoke_tokens``).

    Sessions are found by reading each live session when sessions are kept in the database;
    with another session engine they end at their next request, because the authentication
    backend refuses an inactive user.
    """
    user_revoke_tokens(user=user)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        return
    model = store.get_model_class()
    owner = str(user.pk)
    stale = [
        session.pk
        for session in model.objects.filter(expire_date__gt=timezone.now()).iterator()
        if store().decode(session.session_data).get("_auth_user_id") == owner
    ]
    model.objects.filter(pk__in=stale).delete()


def _check_username(username: str, *, exclude: User | None = None) -> None:
    try:
        User.username_validator(username)
    except ValidationError:
        raise invalid_value(
            f"userName {username!r} may hold only letters, digits and @ . + - _ "
            f"(at most 150 characters)."
        ) from None
    clashes = scim_users_with_username(username=username)
    if exclude is not None:
        clashes = clashes.exclude(pk=exclude.pk)
    if clashes.exists():
        raise ScimError(
            f"A user with userName {username!r} already exists. Look it up with "
            f'filter=userName eq "{username}" and update that user.',
            status=409,
            scim_type="uniqueness",
        )


def _check_email(email: str) -> None:
    if not email:
        return
    try:
        validate_email(email)
    except ValidationError:
        raise invalid_value(f"{email!r} is not an email address.") from None


def _apply_user_fields(user: User, fields: UserFields) -> None:
    if fields.username is not None:
        user.username = fields.username
    if fields.email is not None:
        user.email = fields.email
    if fields.first_name is not None:
        user.first_name = fields.first_name
    if fields.last_name is not None:
        user.last_name = fields.last_name
    if fields.time_zone is not None:
        user.time_zone = fields.time_zone


def _profile(user: User, link: ProvisionedUser) -> dict[str, str]:
    """The attributes an identity provider writes, by their SCIM names."""
    return {
        "userName": user.username,
        "emails": user.email,
        "name.givenName": user.first_name,
        "name.familyName": user.last_name,
        "timezone": user.time_zone,
        "externalId": link.external_id,
    }


def _save_user(user: User) -> None:
    """Save, answering a name taken by a concurrent request as SCIM does (409)."""
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ScimError(
            f"A user with userName {user.username!r} already exists.",
            status=409,
            scim_type="uniqueness",
        ) from None


@transaction.atomic
def scim_user_create(*, token: ScimToken, fields: UserFields) -> User:
    """Create an employee from a SCIM User, without a usable password unless one is sent
    (they sign in through the company's identity provider) and without consent (that is
    theirs to give). A userName the identity provider deleted earlier is taken back: the
    same account, re-activated, with its data."""
    assert fields.username is not None
    released = (
        scim_users_with_username(username=fields.username)
        .filter(provisioning__released_at__isnull=False)
        .first()
    )
    if released is not None:
        fields.active = True if fields.active is None else fields.active
        return _user_take_back(token=token, user=released, fields=fields)
    _check_username(fields.username)
    _check_email(fields.email or "")
    user = User(role=User.Role.EMPLOYEE, is_active=bool(fields.active))
    _apply_user_fields(user, fields)
    if fields.password:
        user.set_password(fields.password)
    else:
        user.set_unusable_password()
    _save_user(user)
    ProvisionedUser.objects.create(user=user, external_id=fields.external_id or "")
    _record(
        token=token,
        action=Action.USER_CREATED,
        user=user,
        detail=", ".join(n for n in fields.changed if n != "password"),
    )
    return user


def _user_take_back(*, token: ScimToken, user: User, fields: UserFields) -> User:
    ProvisionedUser.objects.filter(user=user).update(released_at=None, updated_at=timezone.now())
    user.refresh_from_db()
    _record(token=token, action=Action.USER_CREATED, user=user, detail="taken back after deletion")
    return scim_user_update(token=token, user=user, fields=fields)


@transaction.atomic
def scim_user_update(*, token: ScimToken, user: User, fields: UserFields) -> User:
    """Apply ``fields`` to ``user`` (PUT or PATCH). ``active`` false deactivates and signs
    out everywhere; true re-activates."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if fields.username is not None and fields.username != user.username:
        _check_username(fields.username, exclude=user)
    if fields.email is not None:
        _check_email(fields.email)
    link, _ = ProvisionedUser.objects.get_or_create(user=user)
    before = _profile(user, link)
    _apply_user_fields(user, fields)
    if fields.external_id is not None:
        link.external_id = fields.external_id
    changed = [name for name, value in _profile(user, link).items() if before[name] != value]
    _save_user(user)
    link.updated_at = timezone.now()
    link.save(update_fields=["external_id", "updated_at"])
    # An identity provider that syncs passwords may send the same one with every update;
    # only a new one signs the person out of their API clients.
    if fields.password and not user.check_password(fields.password):
        user_change_password(user=user, new_password=fields.password)
        changed.append("password")
    if changed:
        _record(token=token, action=Action.USER_UPDATED, user=user, detail=", ".join(changed))
    if fields.active is False and user.is_active:
        _user_deactivate(token=token, user=user)
    elif fields.active is True and not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        _record(token=token, action=Action.USER_REACTIVATED, user=user)
    user.refresh_from_db()
    return user


def _user_deactivate(*, token: ScimToken, user: User) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])
    user_sign_out_everywhere(user=user)
    _record(token=token, action=Action.USER_DEACTIVATED, user=user)


@transaction.atomic
def scim_user_delete(*, token: ScimToken, user: User) -> None:
    """What SCIM calls deleting a person: they are deactivated (signed out everywhere), leave
    their team and disappear from SCIM. The account and its data stay: erasing them is the
    person's right (My data) or an admin's deliberate act, not a side effect of provisioning."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        _user_deactivate(token=token, user=user)
    previous = user.team
    if previous is not None:
        user.team = None
        user.save(update_fields=["team"])
        _record(token=token, action=Action.MEMBER_REMOVED, user=user, team=previous)
    ProvisionedUser.objects.update_or_create(
        user=user, defaults={"released_at": timezone.now(), "updated_at": timezone.now()}
    )
    _record(token=token, action=Action.USER_DELETED, user=user)


# --- Teams ---------------------------------------------------------------------------


def _check_team_name(name: str, *, exclude: Team | None = None) -> None:
    clashes = scim_teams_with_name(name=name)
    if exclude is not None:
        clashes = clashes.exclude(pk=exclude.pk)
    if clashes.exists():
        raise ScimError(
            f"A group named {name!r} already exists. Look it up with "
            f'filter=displayName eq "{name}".',
            status=409,
            scim_type="uniqueness",
        )


@transaction.atomic
def scim_group_create(*, token: ScimToken, fields: GroupFields) -> Team:
    """Create a team from a SCIM Group (a name the identity provider deleted earlier is
    taken back: the same team, with its published history)."""
    assert fields.display_name is not None
    released = (
        scim_teams_with_name(name=fields.display_name)
        .filter(provisioning__released_at__isnull=False)
        .first()
    )
    if released is not None:
        ProvisionedGroup.objects.filter(team=released).update(
            released_at=None, updated_at=timezone.now()
        )
        _record(
            token=token,
            action=Action.GROUP_CREATED,
            team=released,
            detail="taken back after deletion",
        )
        return scim_group_update(token=token, team=released, fields=fields)
    _check_team_name(fields.display_name)
    team = Team.objects.create(name=fields.display_name)
    ProvisionedGroup.objects.create(team=team, external_id=fields.external_id or "")
    _record(token=token, action=Action.GROUP_CREATED, team=team)
    _members_apply(token=token, team=team, steps=fields.member_steps)
    return team


@transaction.atomic
def scim_group_update(*, token: ScimToken, team: Team, fields: GroupFields) -> Team:
    team = Team.objects.select_for_update().get(pk=team.pk)
    renamed = fields.display_name is not None and fields.display_name != team.name
    if renamed:
        assert fields.display_name is not None
        _check_team_name(fields.display_name, exclude=team)
        old_name = team.name
        team.name = fields.display_name
        team.save(update_fields=["name"])
        _record(
            token=token, action=Action.GROUP_UPDATED, team=team, detail=f"renamed from {old_name}"
        )
    link, _ = ProvisionedGroup.objects.get_or_create(team=team)
    if fields.external_id is not None and fields.external_id != link.external_id:
        link.external_id = fields.external_id
        _record(token=token, action=Action.GROUP_UPDATED, team=team, detail="externalId")
    link.updated_at = timezone.now()
    link.save(update_fields=["external_id", "updated_at"])
    _members_apply(token=token, team=team, steps=fields.member_steps)
    return team


@transaction.atomic
def scim_group_delete(*, token: ScimToken, team: Team) -> None:
    """What SCIM calls deleting a group: its members leave the team and it disappears from
    SCIM. The team and its published history stay (an admin may delete them)."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    _members_apply(token=token, team=team, steps=[("remove", None)])
    ProvisionedGroup.objects.update_or_create(
        team=team, defaults={"released_at": timezone.now(), "updated_at": timezone.now()}
    )
    _record(token=token, action=Action.GROUP_DELETED, team=team)


def _members_apply(
    *, token: ScimToken, team: Team, steps: Iterable[tuple[str, list[str] | None]]
) -> None:
    """Add, remove or replace members, step by step. A person belongs to at most one team:
    adding them here moves them out of any other team (the last group to add them wins)."""
    for kind, ids in steps:
        members = list(scim_users().filter(team=team))
        if kind == "remove":
            leaving = members if ids is None else [m for m in members if str(m.pk) in set(ids)]
            for user in leaving:
                _member_remove(token=token, team=team, user=user)
            continue
        assert ids is not None
        wanted = _users_by_id(ids)
        if kind == "replace":
            wanted_ids = {u.pk for u in wanted}
            for user in members:
                if user.pk not in wanted_ids:
                    _member_remove(token=token, team=team, user=user)
        for user in wanted:
            if user.team_id != team.pk:
                _member_add(token=token, team=team, user=user)


def _users_by_id(ids: list[str]) -> list[User]:
    unknown = [i for i in ids if not i.isdigit()]
    found = {str(u.pk): u for u in scim_users().filter(pk__in=[int(i) for i in ids if i.isdigit()])}
    unknown += [i for i in ids if i.isdigit() and i not in found]
    if unknown:
        raise invalid_value(f"No user with id {', '.join(repr(i) for i in unknown)}.")
    return list(dict.fromkeys(found[i] for i in ids))


def _member_add(*, token: ScimToken, team: Team, user: User) -> None:
    previous = user.team
    user.team = team
    user.save(update_fields=["team"])
    if previous is not None:
        _record(
            token=token,
            action=Action.MEMBER_MOVED,
            user=user,
            team=team,
            detail=f"from {previous.name}",
        )
    else:
        _record(token=token, action=Action.MEMBER_ADDED, user=user, team=team)


def _member_remove(*, token: ScimToken, team: Team, user: User) -> None:
    user.team = None
    user.save(update_fields=["team"])
    _record(token=token, action=Action.MEMBER_REMOVED, user=user, team=team)
