"""A browser page on a made-up origin whose /static/ files come straight from the project's
static folder: for tests of the browser modules that need no Django server (and so no
database connection shared with a server thread)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

ORIGIN = "http://modules.localhost"  # *.localhost is a secure context (Web Crypto)
TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm"}


def open_page(browser, files: dict[str, bytes]):
    """A new context and page at ``ORIGIN``; ``files`` maps extra paths to their bytes."""
    static = Path(settings.BASE_DIR) / "static"
    context = browser.new_context(base_url=ORIGIN)
    page = context.new_page()

    def serve(route) -> None:
        path = route.request.url.removeprefix(ORIGIN).split("?")[0]
        if path in files:
            route.fulfill(status=200, body=files[path], content_type="application/octet-stream")
            return
        if path == "/":
            route.fulfill(
                status=200, body="<!doctype html><title>modules</title>", content_type="text/html"
            )
            return
        target = (static / path.removeprefix("/static/")).resolve()
        if not path.startswith("/static/") or static not in target.parents or not target.is_file():
            route.fulfill(status=404, body="not found")
            return
        route.fulfill(
            status=200,
            body=target.read_bytes(),
            content_type=TYPES.get(target.suffix, "application/octet-stream"),
        )

    page.route(f"{ORIGIN}/**", serve)
    page.goto("/")
    return context, page


def open_scorer_page(browser, model_files: dict[str, Path], url: str, setup: str, **args):
    """A page at ``ORIGIN`` serving ``model_files`` (key -> path) at ``url.format(key)``, after
    running the ``setup`` script with ``{urls, runtime, **args}`` (it builds the scorer and
    returns how long that took). Returns (context, page, setup_ms); page errors are collected
    in ``page.errors``."""
    from inference import device

    runtime = device.runtime_dir()
    if runtime is None:
        import pytest

        pytest.fail("ONNX Runtime Web is not vendored: run scripts/vendor_browser_runtime.sh")
    files = {url.format(key): path.read_bytes() for key, path in model_files.items()}
    context, page = open_page(browser, files)
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    urls = {key: url.format(key) for key in model_files}
    setup_ms = page.evaluate(setup, {"urls": urls, "runtime": "/static/" + runtime, **args})
    return context, page, setup_ms
