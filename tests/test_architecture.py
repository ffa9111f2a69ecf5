"""The arrows between the apps point one way, and reads do not write.

Every import of every module of the apps counts, those inside functions too: a function-local
import hides a dependency from a reader, not from this test. ``docs/architecture.md`` draws
the same arrows.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Each app and the apps it may import. "core" is the project package's shared modules
# (exceptions, admin helpers, retry policy, logging, middleware, schema), which import no app.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    # The access log names users and teams through the settings' model strings only, so every
    # app that shows someone's data (the user admin included) can record who looked.
    "audit": {"core"},
    "accounts": {"core", "audit"},
    "inference": {"core"},
    # Tasks queued with the change that needs them; knows task names, not the apps.
    "outbox": {"core"},
    "metrics": {"core", "accounts", "inference", "audit", "outbox"},
    "teams": {"core", "accounts", "metrics", "audit"},
    "alerts": {"core", "accounts", "metrics", "teams", "audit", "outbox"},
    "excuses": {"core", "accounts", "metrics", "audit"},
    "training": {"core", "inference"},
    "demo": {"core", "accounts", "metrics", "teams", "alerts"},
    # The integrations: each reads the apps it serves, none is read by them (they announce
    # what happened through signals and registries instead).
    "sso": {"core", "accounts", "teams"},
    "provisioning": {"core", "accounts", "teams"},
    "chat": {"core", "accounts", "metrics", "teams", "alerts", "audit", "outbox"},
    "calendars": {"core", "accounts", "metrics"},
}
# The project's wiring (settings, URLs, Celery app, entry points, start-up checks) sits above
# every app and may import any of them; no app imports it.
PROJECT_MODULES = {"settings", "urls", "views", "celery", "wsgi", "asgi", "startup"}
CORE_MODULES = {
    "exceptions",
    "admin",
    "retries",
    "logging",
    "middleware",
    "schema",
    "indicators",
    "context_processors",
    "partitions",
    "db_router",
}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "resonance":
        if len(parts) == 1 or parts[1] in PROJECT_MODULES:
            return "project"
        return "core"
    return parts[0] if parts[0] in ALLOWED else None


def _source_files(app: str) -> list[Path]:
    return [
        path
        for path in (ROOT / app).rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    ]


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # ``from resonance import celery`` names the module in the alias; importing only
            # core modules that way (``from resonance import indicators``) imports no more.
            core_only = node.module == "resonance" and all(
                a.name in CORE_MODULES for a in node.names
            )
            if not core_only:
                found.append((node.lineno, node.module))
            if node.module == "resonance":
                found += [(node.lineno, f"resonance.{a.name}") for a in node.names]
    return found


def _module_layer(path: Path) -> str:
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    layer = _layer(module)
    assert layer is not None, module
    return layer


def test_the_allowed_arrows_have_no_cycle():
    graphlib.TopologicalSorter(ALLOWED).prepare()  # raises CycleError on a cycle


@pytest.mark.parametrize("app", ["resonance", *sorted(set(ALLOWED) - {"core"})])
def test_apps_import_only_the_apps_below_them(app):
    wrong = []
    for path in _source_files(app):
        layer = _module_layer(path)
        if layer == "project":
            continue
        for line, module in _imported_modules(path):
            target = _layer(module)
            if target is None or target == layer:
                continue
            if target not in ALLOWED[layer]:
                wrong.append(
                    f"{path.relative_to(ROOT)}:{line} imports {module} ({layer} -> {target})"
                )
    assert not wrong, "\n".join(wrong)


def test_every_app_of_the_project_has_its_place_in_the_arrows():
    from django.conf import settings

    own = {name for name in settings.INSTALLED_APPS if (ROOT / name / "apps.py").exists()}
    assert own == set(ALLOWED) - {"core"}


def _selector_files() -> list[Path]:
    return sorted(p for p in ROOT.glob("*/selectors.py") if p.parent.name in ALLOWED)


WRITE_METHODS = {
    "save",
    "delete",
    "create",
    "update",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
}


@pytest.mark.parametrize("path", _selector_files(), ids=lambda p: p.parent.name)
def test_selectors_never_write(path):
    """Selectors only read: no call of a write method, no import of services or tasks."""
    tree = ast.parse(path.read_text())
    writes = [
        f"line {node.lineno}: .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in WRITE_METHODS
    ]
    writers = [
        f"line {line}: imports {module}"
        for line, module in _imported_modules(path)
        if module.split(".")[-1] in {"services", "tasks", "publication"} or ".services." in module
    ]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            names = [node.module.split(".")[0]] if node.module else [a.name for a in node.names]
            if set(names) & {"services", "tasks", "publication"}:
                writers.append(f"line {node.lineno}: imports from .{node.module or ''}")
    assert not writes + writers, "\n".join(writes + writers)
