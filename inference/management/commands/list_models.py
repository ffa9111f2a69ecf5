from typing import Any

from django.core.management.base import BaseCommand

from inference.models import ModelVersion
from inference.runtime import describe_active_models


class Command(BaseCommand):
    # These commands report model problems themselves; the system check would repeat them.
    requires_system_checks = []
    help = "List registered model versions and the health of the active ones."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = list(ModelVersion.objects.order_by("kind", "-created_at"))
        if not rows:
            self.stdout.write("No models registered. Run 'manage.py setup_models'.")
        for row in rows:
            marker = "*" if row.is_active else " "
            self.stdout.write(
                f"{marker} {row.kind:<8} {row.version:<28} {row.sha256[:12]}  "
                f"{row.created_at:%Y-%m-%d %H:%M}  {row.file_path}"
            )
        for kind, status in describe_active_models().items():
            if not status["ok"]:
                self.stdout.write(self.style.WARNING(f"{kind}: {status['error']}"))
