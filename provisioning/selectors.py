"""Reads for SCIM: the people and teams an identity provider may see, and filters over them.

Superusers are never shown (an identity provider must not be able to lock out the account
that repairs it), nor people and teams the identity provider deleted (they stay, released
from provisioning)."""

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import User
from teams.models import Team

from .errors import not_found
from .filters import Condition, invalid_filter
from .models import ScimToken

_USER_FILTERS = "userName, externalId, id, emails, active, name.givenName, name.familyName"
_GROUP_FILTERS = "displayName, externalId, id, members"


def scim_users() -> QuerySet[User]:
    return (
        User.objects.filter(is_superuser=False)
        .exclude(provisioning__released_at__isnull=False)
        .select_related("provisioning", "team")
        .order_by("pk")
    )


def scim_user_get(*, user_id: str) -> User:
    user = scim_users().filter(pk=user_id).first() if user_id.isdigit() else None
    if user is None:
        raise not_found("User", user_id)
    return user


def scim_users_with_username(*, username: str) -> QuerySet[User]:
    """Every account with this userName, compared as SCIM does (case-insensitively), released
    ones and superusers included: names are unique across all of them."""
    return User.objects.filter(username__iexact=username).select_related("provisioning")


def scim_users_filtered(*, conditions: list[Condition]) -> QuerySet[User]:
    users = scim_users()
    for condition in conditions:
        users = users.filter(_user_condition(condition))
    return users


def _user_condition(condition: Condition) -> Q:
    attribute = condition.attribute.removeprefix("urn:ietf:params:scim:schemas:core:2.0:user:")
    value = condition.value
    if attribute == "username":
        return Q(username__iexact=_text(value))
    if attribute == "externalid":
        return Q(provisioning__external_id=_text(value)) & ~Q(provisioning__external_id="")
    if attribute == "id":
        return Q(pk=int(str(value))) if str(value).isdigit() else Q(pk__in=[])
    if attribute in {"emails", "emails.value"}:
        if condition.within and attribute == "emails":
            return ~Q(email="")
        return Q(email__iexact=_text(value))
    if attribute == "active":
        if not isinstance(value, bool):
            raise invalid_filter("active compares with true or false.")
        return Q(is_active=value)
    if attribute == "name.givenname":
        return Q(first_name__iexact=_text(value))
    if attribute == "name.familyname":
        return Q(last_name__iexact=_text(value))
    raise invalid_filter(
        f"Users cannot be filtered by {condition.attribute!r}; use {_USER_FILTERS}."
    )


def scim_teams() -> QuerySet[Team]:
    return (
        Team.objects.exclude(provisioning__released_at__isnull=False)
        .select_related("provisioning")
        .prefetch_related(Prefetch("members", queryset=scim_users()))
        .order_by("pk")
    )


def scim_team_get(*, team_id: str) -> Team:
    team = scim_teams().filter(pk=team_id).first() if team_id.isdigit() else None
    if team is None:
        raise not_found("Group", team_id)
    return team


def scim_teams_with_name(*, name: str) -> QuerySet[Team]:
    """Every team with this name, compared case-insensitively, released ones included."""
    return Team.objects.filter(name__iexact=name).select_related("provisioning")


def scim_teams_filtered(*, conditions: list[Condition]) -> QuerySet[Team]:
    teams = scim_teams()
    for condition in conditions:
        teams = teams.filter(_team_condition(condition))
    return teams.distinct()


def _team_condition(condition: Condition) -> Q:
    attribute = condition.attribute.removeprefix("urn:ietf:params:scim:schemas:core:2.0:group:")
    value = condition.value
    if attribute == "displayname":
        return Q(name__iexact=_text(value))
    if attribute == "externalid":
        return Q(provisioning__external_id=_text(value)) & ~Q(provisioning__external_id="")
    if attribute == "id":
        return Q(pk=int(str(value))) if str(value).isdigit() else Q(pk__in=[])
    if attribute == "members" and condition.within:
        query = Q()
        for inner in condition.within:
            if inner.attribute != "value":
                raise invalid_filter('Filter members by value only: members[value eq "<id>"].')
            query &= _member_query(inner.value)
        return query
    if attribute == "members.value":
        return _member_query(value)
    raise invalid_filter(
        f"Groups cannot be filtered by {condition.attribute!r}; use {_GROUP_FILTERS}."
    )


def _member_query(value: object) -> Q:
    member = str(value)
    if not member.isdigit():
        return Q(pk__in=[])
    return Q(members__pk=int(member))


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise invalid_filter(f"Compare this attribute with a quoted string, not {value!r}.")
    return value


def scim_token_find(*, prefix: str) -> ScimToken | None:
    return ScimToken.objects.filter(prefix=prefix).first()


def scim_tokens() -> QuerySet[ScimToken]:
    return ScimToken.objects.order_by("name")
