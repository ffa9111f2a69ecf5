from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in available_timezones())


class User(AbstractUser):
    class Role(models.TextChoices):
        EMPLOYEE = "employee", "Employee"
        MANAGER = "manager", "Manager"
        ADMIN = "admin", "Admin"

    class CompanyType(models.TextChoices):
        SERVICE = "service", "Service"
        PRODUCT = "product", "Product"

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.EMPLOYEE)
    team = models.ForeignKey(
        "teams.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    # When the employee agreed to biometric processing; None means no consent (no check-ins).
    biometric_consent_at = models.DateTimeField(null=True, blank=True)
    # With PRIVATE_MODE=optional: score check-ins in this person's browser (no media sent).
    scores_on_device = models.BooleanField(default=False)

    # Profile fields used as burnout-model features.
    company_joined_on = models.DateField(null=True, blank=True)
    designation = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(5)]
    )
    company_type = models.CharField(
        max_length=16, choices=CompanyType.choices, default=CompanyType.SERVICE
    )
    wfh_available = models.BooleanField(default=False)

    # Notification preferences.
    email_alerts = models.BooleanField(default=True)
    email_reminders = models.BooleanField(default=True)

    # Access tokens issued before this moment are refused (password change = sign out everywhere).
    credentials_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(designation__isnull=True) | models.Q(designation__lte=5),
                name="user_designation_0_5",
            )
        ]

    @property
    def is_employee(self) -> bool:
        return self.role == self.Role.EMPLOYEE

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER

    @property
    def is_admin_role(self) -> bool:
        return self.role == self.Role.ADMIN or self.is_superuser

    @property
    def has_consented(self) -> bool:
        return self.biometric_consent_at is not None

    @property
    def zone(self) -> ZoneInfo:
        """The person's time zone, or the site's when theirs is unset or unknown."""
        try:
            return ZoneInfo(self.time_zone or settings.TIME_ZONE)
        except (KeyError, ValueError):
            return ZoneInfo(settings.TIME_ZONE)
