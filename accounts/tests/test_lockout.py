import pytest
from axes.models import AccessAttempt
from axes.utils import reset

TOKEN_URL = "/api/v1/auth/token/"


def attempt(api_client, username, password):
    return api_client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def test_it_locks_the_api_out_with_429_after_repeated_failures(api_client, employee, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(api_client, employee.username, "wrong").status_code == 401

    locked = attempt(api_client, employee.username, "wrong")

    assert locked.status_code == 429
    assert "Too many failed login attempts" in locked.json()["detail"]


def test_a_locked_account_stays_locked_even_with_the_right_password(
    api_client, employee, password, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(api_client, employee.username, "wrong")

    assert attempt(api_client, employee.username, password).status_code == 429


def test_it_recovers_after_the_lockout_is_reset(api_client, employee, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(api_client, employee.username, "wrong")
    assert AccessAttempt.objects.filter(username=employee.username).exists()

    reset(username=employee.username)

    assert attempt(api_client, employee.username, password).status_code == 200


def test_a_success_resets_the_failure_count(api_client, employee, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(api_client, employee.username, "wrong")
    assert attempt(api_client, employee.username, password).status_code == 200

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(api_client, employee.username, "wrong").status_code == 401


def test_other_users_are_not_locked_out(api_client, employee, teammate, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(api_client, employee.username, "wrong")

    assert attempt(api_client, teammate.username, password).status_code == 200


@pytest.mark.django_db
def test_the_login_page_shows_a_lockout_page(client, employee, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": employee.username, "password": "wrong"})

    response = client.post("/accounts/login/", {"username": employee.username, "password": "x"})

    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content


def test_a_stranger_elsewhere_cannot_lock_someone_out(api_client, employee, password, settings):
    """Lockouts are keyed on the username and the address together: failures from one address
    lock that address out of that account, not the account's owner at their own address."""
    stranger = {"REMOTE_ADDR": "203.0.113.9"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api_client.post(
            TOKEN_URL,
            {"username": employee.username, "password": "wrong"},
            format="json",
            **stranger,
        )
    again = {"username": employee.username, "password": password}
    assert api_client.post(TOKEN_URL, again, format="json", **stranger).status_code == 429

    owner = {"REMOTE_ADDR": "198.51.100.7"}
    assert api_client.post(TOKEN_URL, again, format="json", **owner).status_code == 200
