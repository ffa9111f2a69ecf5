"""Company sign-in is configured from the environment only: allauth's models for apps kept in
the database (with their client secrets), provider tokens and its own email addresses stay out
of admin. Linked identities stay: deleting one unlinks a person from the provider."""

# Imported first so that their models are registered before they are unregistered below.
import allauth.account.admin
import allauth.socialaccount.admin  # noqa: F401
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialApp, SocialToken
from django.contrib import admin

for model in (SocialApp, SocialToken, EmailAddress):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
