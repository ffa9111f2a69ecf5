"""``manage.py check`` warns when a kind has no usable active model."""

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError, connection

from inference.models import ModelVersion


@register(Tags.models)
def check_active_models(app_configs=None, **kwargs) -> list[Warning]:
    from inference.runtime import describe_active_models

    try:
        migrated = ModelVersion._meta.db_table in connection.introspection.table_names()
    except DatabaseError:
        migrated = False
    if not migrated:
        # Before the first migrate there is no registry to inspect; migrate creates it.
        return []
    return [
        Warning(
            f"No usable {kind} model: {status['error']}.",
            hint="Run 'manage.py setup_models' (bundled models) or "
            "'manage.py register_model PATH --activate'; check-ins fail until then.",
            obj=f"inference.{kind}",
            id="inference.W001",
        )
        for kind, status in describe_active_models().items()
        if not status["ok"]
    ]
