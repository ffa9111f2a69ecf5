"""Admin building blocks shared by the apps."""

from typing import Any

from django.db.models import Model
from django.http import HttpRequest

from resonance import indicators


class ReadOnlyAdminMixin:
    """Admins may look, never add, change or delete (rows that must stay as they were made)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ActiveIndicatorsAdminMixin:
    """Columns and fields from ``resonance.indicators``: an indicator the active profile leaves
    out is neither listed nor shown."""

    leading_columns: tuple[str, ...] = ()
    trailing_columns: tuple[str, ...] = ()

    def get_list_display(self, request: HttpRequest) -> Any:
        return [*self.leading_columns, *self.indicator_columns(), *self.trailing_columns]

    def indicator_columns(self) -> tuple[str, ...]:
        return indicators.score_keys()

    def get_exclude(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [i.key for i in indicators.inactive()]

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> list[Any]:
        excluded = set(self.get_exclude(request, obj))
        model = getattr(self, "model")  # noqa: B009  (the ModelAdmin's model)
        return [
            f.name
            for f in model._meta.concrete_fields
            if f.name not in excluded and not f.primary_key
        ]
