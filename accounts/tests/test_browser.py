import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_employee_signs_in_through_the_login_page(page, employee, browser_login):
    browser_login(page, employee)

    assert page.url.endswith("/checkin/")
    assert page.get_by_role("button", name=f"Sign out {employee.username}").is_visible()
    assert page.console_errors == []


def test_a_wrong_password_shows_a_message(page, employee):
    page.goto("/accounts/login/")
    page.fill("#id_username", employee.username)
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")

    assert page.get_by_role("alert").is_visible()
    assert "correct username and password" in page.get_by_role("alert").inner_text()
