"""Typed factories shared by every app's tests."""

import datetime as dt

import factory
from django.utils import timezone

from accounts.models import User
from teams.models import Team

TEST_PASSWORD = "correct-horse-battery-staple"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = User.Role.EMPLOYEE
    team = factory.SubFactory(TeamFactory)
    biometric_consent_at = factory.LazyFunction(timezone.now)
    company_joined_on = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=700))
    designation = 2
    company_type = User.CompanyType.SERVICE
    wfh_available = True
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ManagerFactory(UserFactory):
    role = User.Role.MANAGER
    team = None
    biometric_consent_at = None

    @factory.post_generation
    def teams(obj, create, extracted, **kwargs):
        if create and extracted:
            for team in extracted:
                team.managers.add(obj)


class AdminFactory(UserFactory):
    role = User.Role.ADMIN
    team = None
    is_staff = True
    is_superuser = True
