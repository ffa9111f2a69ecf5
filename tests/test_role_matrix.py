"""Who may use what: every URL in the URL configuration x every persona.

The matrix below is the specification. A URL added without an entry here fails
``test_every_url_has_a_matrix_entry``, so nobody ships an endpoint without deciding who
may use it. For managers, no response may contain any one employee's numbers.
"""

import datetime as dt
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from alerts.models import BurnoutAlert
from metrics.models import CheckIn, DailyMetric
from teams.models import PublishedTeamPeriod
from teams.tests.helpers import last_week_end, publish
from tests.factories import UserFactory

PERSONAS = ["anonymous", "employee", "teammate", "outsider", "manager", "other_manager", "admin"]

# Distinctive individual values: none of them may reach a manager, in any format.
INDIVIDUAL_FLOW = [37.77, 41.13, 52.29, 63.31, 70.07]
INDIVIDUAL_FATIGUE = [0.8123, 0.2345, 0.6789, 0.4567, 0.3456]

LOGIN = "login"  # a redirect to the login page
R = 302  # a redirect elsewhere (e.g. home routing)


def row(anonymous, employee, teammate, outsider, manager, other_manager, admin) -> dict:
    return dict(
        zip(
            PERSONAS,
            [anonymous, employee, teammate, outsider, manager, other_manager, admin],
            strict=True,
        )
    )


def same(anonymous, everyone_else) -> dict:
    return row(anonymous, *[everyone_else] * 6)


EMPLOYEES_ONLY_PAGE = row(LOGIN, 200, 200, 200, 403, 403, 403)
EMPLOYEES_ONLY_API = row(401, 200, 200, 200, 403, 403, 403)

# url name -> (method, expected status per persona)
MATRIX: dict[str, tuple[str, dict]] = {
    "home": ("get", row(LOGIN, R, R, R, R, R, R)),
    "healthz": ("get", same(200, 200)),
    "accounts:login": ("get", row(200, R, R, R, R, R, R)),
    "accounts:logout": ("get", same(405, 405)),
    "accounts:password-change": ("get", same(LOGIN, 200)),
    "metrics:checkin": ("get", EMPLOYEES_ONLY_PAGE),
    # The employee's own check-in; anyone else learns nothing, not even that it exists.
    "metrics:checkin-detail": ("get", row(LOGIN, 200, 404, 404, 403, 403, 403)),
    "metrics:trends": ("get", EMPLOYEES_ONLY_PAGE),
    "metrics:my-data": ("get", EMPLOYEES_ONLY_PAGE),
    "metrics:my-consent": ("get", row(LOGIN, 405, 405, 405, 403, 403, 403)),
    "metrics:my-data-json": ("get", EMPLOYEES_ONLY_PAGE),
    "metrics:my-data-csv": ("get", EMPLOYEES_ONLY_PAGE),
    "metrics:my-data-erase": ("get", row(LOGIN, 405, 405, 405, 403, 403, 403)),
    "metrics:my-on-device": ("get", row(LOGIN, 405, 405, 405, 403, 403, 403)),
    # An ONNX file of the active on-device fatigue model (private mode).
    "metrics:device-model": ("get", EMPLOYEES_ONLY_PAGE),
    "teams:dashboard": ("get", row(LOGIN, 403, 403, 403, 200, 200, 200)),
    "teams:dashboard-csv": ("get", row(LOGIN, 403, 403, 403, 200, 200, 200)),
    # A team alert of the employee's team: only its managers (and admins) may acknowledge.
    "alerts:acknowledge": ("post", row(LOGIN, 404, 404, 404, R, 404, R)),
    "alerts:preferences": ("get", same(LOGIN, 200)),
    "excuses:page": ("get", EMPLOYEES_ONLY_PAGE),
    "excuses:clear-history": ("get", row(LOGIN, 405, 405, 405, 403, 403, 403)),
    "auth-api:token": ("get", same(405, 405)),
    "auth-api:token-refresh": ("get", same(405, 405)),
    "auth-api:logout": ("get", same(405, 405)),
    "auth-api:password-change": ("get", same(401, 405)),
    "metrics-api:sync": ("get", EMPLOYEES_ONLY_API),
    # An empty post: employees get past the role check and are told the photo is missing.
    "metrics-api:photo-check": ("post", row(401, 400, 400, 400, 403, 403, 403)),
    "metrics-api:sync-detail": ("get", row(401, 200, 404, 404, 403, 403, 403)),
    "metrics-api:my-metrics": ("get", EMPLOYEES_ONLY_API),
    "metrics-api:device-manifest": ("get", EMPLOYEES_ONLY_API),
    "teams-api:heatmap": ("get", row(401, 403, 403, 403, 200, 403, 200)),
    "teams-api:my-privacy": ("get", EMPLOYEES_ONLY_API),
    "alerts-api:list": ("get", same(401, 200)),
    "alerts-api:acknowledge": ("post", row(401, 404, 404, 404, 200, 404, 200)),
    "excuses-api:excuses": ("get", EMPLOYEES_ONLY_API),
    "excuses-api:suggestion": ("get", EMPLOYEES_ONLY_API),
    "schema": ("get", same(200, 200)),
    "api-docs": ("get", same(200, 200)),
    "api-reference": ("get", same(200, 200)),
    # Company sign-in (sso)
    # Not configured here (no OIDC_SERVER_URL): the provider's login and callback do not exist.
    "openid_connect_login": ("get", same(404, 404)),
    "openid_connect_callback": ("get", same(404, 404)),
    # Not configured here (no SAML_IDP_ENTITY_ID): none of SAML's routes exist.
    "saml_login": ("get", same(404, 404)),
    "saml_acs": ("post", same(404, 404)),
    "saml_finish_acs": ("get", same(404, 404)),
    "saml_metadata": ("get", same(404, 404)),
    "saml_sls": ("get", same(404, 404)),
    # Provisioning (provisioning)
    # SCIM opens only to an identity provider's bearer token (manage.py scim_token): no
    # session, whatever its role, gets in (provisioning/tests/test_access.py tests the token).
    "scim:service-provider-config": ("get", same(401, 401)),
    "scim:resource-types": ("get", same(401, 401)),
    "scim:schemas": ("get", same(401, 401)),
    "scim:users": ("get", same(401, 401)),
    "scim:user": ("get", same(401, 401)),
    "scim:groups": ("get", same(401, 401)),
    "scim:group": ("get", same(401, 401)),
    # Slack and Microsoft Teams (chat)
    # Everyone's own Slack and Teams reminder and alert opt-outs.
    "chat:preferences": ("get", same(LOGIN, 200)),
    # Calendars (calendars)
    "calendars:my-calendar": ("get", EMPLOYEES_ONLY_PAGE),
    "calendars:my-calendar-disconnect": ("get", row(LOGIN, 405, 405, 405, 403, 403, 403)),
    # Session-signed (the JWT path is tested in calendars/tests/test_access.py).
    "calendars-api:my-calendar": ("get", EMPLOYEES_ONLY_API),
}


def named_urls() -> dict[str, str]:
    """Every non-admin URL name -> its route pattern."""
    found: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str | None) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace
                child_ns = ":".join(filter(None, [namespace, ns])) if ns else namespace
                walk(pattern, prefix + str(pattern.pattern), child_ns)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if route.startswith("admin/"):
                    continue
                name = ":".join(filter(None, [namespace, pattern.name])) if pattern.name else None
                found[name or route] = route

    walk(get_resolver(), "", None)
    return found


def test_every_url_has_a_matrix_entry():
    missing = sorted(set(named_urls()) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(named_urls()))

    assert not missing, f"URLs without a role-matrix entry: {missing}"
    assert not stale, f"Matrix entries for URLs that no longer exist: {stale}"


@pytest.fixture
def world(
    employee, teammate, outsider, manager, other_manager, admin_user, team, tiny_models, noiseless
):
    """A team of exactly MIN_GROUP_SIZE members with distinctive scores, alerts, a check-in;
    the last full week is published (negligible noise: the team mean is exact, so
    a leak of an individual value could not hide behind the noise)."""
    members = [employee, teammate] + [UserFactory(team=team) for _ in range(3)]
    today = timezone.localdate()
    for member, flow, fatigue in zip(members, INDIVIDUAL_FLOW, INDIVIDUAL_FATIGUE, strict=True):
        for day in (last_week_end(today), today - dt.timedelta(days=1), today):
            DailyMetric.objects.update_or_create(
                user=member,
                team=team,
                date=day,
                defaults={
                    "fatigue": fatigue,
                    "stress": fatigue,
                    "burnout": fatigue,
                    "flow_score": flow,
                    "checkin_count": 1,
                },
            )
    publish(through=last_week_end(today))
    assert PublishedTeamPeriod.objects.filter(team=team, period="week", status="published").exists()
    checkin = CheckIn.objects.create(
        user=employee,
        status=CheckIn.Status.DONE,
        fatigue=INDIVIDUAL_FATIGUE[0],
        flow_score=INDIVIDUAL_FLOW[0],
    )
    window = {"window_start": today - dt.timedelta(days=6), "window_end": today}
    team_alert = BurnoutAlert.objects.create(
        scope=BurnoutAlert.Scope.TEAM,
        team=team,
        rule=BurnoutAlert.Rule.TEAM_LOW_FLOW,
        severity=BurnoutAlert.Severity.MEDIUM,
        message="Team flow is low.",
        **window,
    )
    BurnoutAlert.objects.create(
        scope=BurnoutAlert.Scope.INDIVIDUAL,
        user=employee,
        rule=BurnoutAlert.Rule.LOW_FLOW,
        severity=BurnoutAlert.Severity.HIGH,
        message="Your flow is low.",
        **window,
    )
    return {
        "users": {
            "anonymous": None,
            "employee": employee,
            "teammate": teammate,
            "outsider": outsider,
            "manager": manager,
            "other_manager": other_manager,
            "admin": admin_user,
        },
        "kwargs": {
            "checkin_id": checkin.pk,
            "user_id": employee.pk,
            "team_id": team.pk,
            "alert_id": team_alert.pk,
            "sha256": tiny_models["fatigue"].sha256,
        },
    }


def request_as(client, api_client, world, persona: str, name: str, method: str):
    route = named_urls()[name]
    if "^" in route:  # a regular-expression route: reverse it with its named groups
        groups = re.findall(r"\(\?P<(\w+)>", route)
        path = reverse(name, kwargs={group: world["kwargs"][group] for group in groups})
    else:
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(world["kwargs"][m.group(1)]), route)
    user = world["users"][persona]
    if name.startswith(("auth-api:", "metrics-api:", "teams-api:", "alerts-api:", "excuses-api:")):
        if user is not None:
            token = RefreshToken.for_user(user).access_token
            api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return getattr(api_client, method)(path, format="json")
    if user is not None:
        client.force_login(user)
    return getattr(client, method)(path)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_role_matrix(client, api_client, world, name, persona):
    method, expected_by_persona = MATRIX[name]
    expected = expected_by_persona[persona]

    response = request_as(client, api_client, world, persona, name, method)

    if expected == LOGIN:
        assert response.status_code == 302, response.content[:300]
        assert "/accounts/login/" in response.url
    else:
        assert response.status_code == expected, (name, persona, response.content[:300])
    if persona in {"manager", "other_manager"}:
        body = response.content.decode(errors="replace")
        shown_forms = [{str(v), f"{v:.1f}"} for v in INDIVIDUAL_FLOW] + [
            {str(v), f"{v:.2f}", f"{v * 100:.1f}"} for v in INDIVIDUAL_FATIGUE
        ]
        for forms in shown_forms:
            for shown in forms:
                number = re.compile(rf"(?<![\d.]){re.escape(shown)}(?!\d)")
                assert not number.search(body), (
                    f"{name} shows individual value {shown} to {persona}"
                )
