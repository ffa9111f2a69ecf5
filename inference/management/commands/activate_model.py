from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inference.errors import InvalidModelFile
from inference.models import ModelVersion
from inference.registry import activate_model


class Command(BaseCommand):
    # These commands report model problems themselves; the system check would repeat them.
    requires_system_checks = []
    help = "Make a registered model version the active one of its kind."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=ModelVersion.Kind.values)
        parser.add_argument("version")

    def handle(self, *args: Any, kind: str, version: str, **options: Any) -> None:
        try:
            model = activate_model(kind=kind, version=version)
        except InvalidModelFile as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Active {model.kind} model: {model.version}")
