import pytest

from metrics.models import CheckIn

from .media import image_upload


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Throttle counters live in the cache and would otherwise carry over between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def submitted_checkin(employee):
    """A pending check-in of ``employee`` with an image stored, as the API would leave it."""
    from metrics.services.submission import checkin_submit

    return checkin_submit(user=employee, image=image_upload(), hours_worked=9)


@pytest.fixture
def make_checkin(employee):
    def make(**fields) -> CheckIn:
        values = {"user": employee, "status": CheckIn.Status.DONE}
        values.update(fields)
        return CheckIn.objects.create(**values)

    return make
