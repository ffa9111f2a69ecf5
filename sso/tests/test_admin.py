from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin


def test_only_linked_identities_of_allauth_are_in_admin():
    assert admin.site.is_registered(SocialAccount)
    for model in (SocialApp, SocialToken, EmailAddress):
        assert not admin.site.is_registered(model)
