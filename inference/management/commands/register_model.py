from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inference.errors import InvalidModelFile
from inference.registry import register_model_file


class Command(BaseCommand):
    # These commands report model problems themselves; the system check would repeat them.
    requires_system_checks = []
    help = "Register an ONNX model file (with its .json sidecar) in the model registry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="path to <kind>-<version>.onnx; the sidecar sits beside")
        parser.add_argument(
            "--activate", action="store_true", help="make it the active model of its kind"
        )

    def handle(self, *args: Any, path: str, activate: bool, **options: Any) -> None:
        try:
            model = register_model_file(path, activate=activate)
        except InvalidModelFile as exc:
            raise CommandError(exc.message) from exc
        state = "active" if model.is_active else "inactive"
        self.stdout.write(f"Registered {model.kind} {model.version} ({state}) from {path}")
