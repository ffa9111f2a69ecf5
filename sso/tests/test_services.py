"""Account decisions without a provider: the claims as allauth hands them over."""

import pytest

from accounts.models import User
from sso.services import SignInRefused, company_user_resolve
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_it_numbers_a_username_when_every_candidate_is_taken():
    for name in ("ada", "sso-s1", "sso-s1-2"):
        UserFactory(username=name, email=f"{name}@elsewhere.example")

    user, link = company_user_resolve(
        linked_user=None, provider_id="company", claims={"sub": "s1", "preferred_username": "ada"}
    )

    assert (user.username, link) == ("sso-s1-3", True)


def test_a_refusal_writes_nothing(settings):
    settings.OIDC_CREATE_USERS = False

    with pytest.raises(SignInRefused):
        company_user_resolve(linked_user=None, provider_id="company", claims={"sub": "s2"})

    assert not User.objects.exists()
