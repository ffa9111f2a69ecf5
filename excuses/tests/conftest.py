import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # The per-user allowance lives in the cache; ids repeat across tests on some databases.
    cache.clear()
    yield
    cache.clear()
