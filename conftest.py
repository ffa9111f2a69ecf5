"""Fixtures for every test: personas, API clients and a real headless Chromium."""

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import TEST_PASSWORD, AdminFactory, ManagerFactory, TeamFactory, UserFactory

# Every app's tests can request ``tiny_models`` (active tiny ONNX models for all three kinds).
pytest_plugins = ["inference.fixtures"]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# The fake microphone plays this (looped) instead of its default beep, which is not speech and
# which the speech detector rightly refuses.
FAKE_MICROPHONE_WAV = Path(__file__).parent / "inference/tests/fixtures/speech/a-little-tired.wav"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    f"--use-file-for-fake-audio-capture={FAKE_MICROPHONE_WAV}",
]


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Rate-limit counters live in the cache; each test starts with a clean slate.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _celery_config_restored():
    """Whatever a test does to the Celery app's broker or eager mode is undone after it, so a
    later test never publishes to a broker that is gone."""
    from resonance.celery import app

    keys = ("broker_url", "task_always_eager", "task_eager_propagates")
    saved = {key: app.conf[key] for key in keys}
    yield
    if any(app.conf[key] != value for key, value in saved.items()):
        app.conf.update(saved)


@pytest.fixture
def noiseless(settings):
    """Publication with negligible noise, for tests of what is aggregated (not of privacy).

    Tests of the privacy guarantees themselves run with the default epsilon.
    """
    settings.PRIVACY_EPSILON_WEEK_COUNT = 1e6
    settings.PRIVACY_EPSILON_WEEK_FLOW = 1e6
    settings.PRIVACY_EPSILON_MONTH_ROSTER = 1e6
    settings.PRIVACY_EPSILON_MONTH_COMPONENT = 1e6
    settings.PRIVACY_EPSILON_MONTH_COUNT = 1e6
    settings.PRIVACY_EPSILON_MONTH_AT_RISK = 1e6
    settings.PRIVACY_CAP_MONTH = 1e12
    settings.PRIVACY_CAP_YEAR = 1e13


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Drop the test database cleanly on PostgreSQL: the live server's thread and worker
    subprocesses may still hold a session at the end, which would block ``DROP DATABASE``."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


# --- Personas ----------------------------------------------------------------


@pytest.fixture
def team(db):
    return TeamFactory(name="Atlas")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="Borealis")


@pytest.fixture
def employee(team):
    return UserFactory(username="erin", team=team)


@pytest.fixture
def teammate(team):
    return UserFactory(username="tomas", team=team)


@pytest.fixture
def outsider(other_team):
    """An employee of another team."""
    return UserFactory(username="olga", team=other_team)


@pytest.fixture
def manager(team):
    return ManagerFactory(username="maya", teams=[team])


@pytest.fixture
def other_manager(other_team):
    return ManagerFactory(username="otto", teams=[other_team])


@pytest.fixture
def admin_user(db):
    return AdminFactory(username="ada")


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD


# --- API clients -------------------------------------------------------------


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def api_client_for() -> Callable[..., APIClient]:
    """An API client holding a real JWT access token for ``user``."""

    def make(user) -> APIClient:
        client = APIClient()
        access = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        return client

    return make


# --- Browser -------------------------------------------------------------------


# The fake camera shows this portrait (one real face, see inference/tests/media.py) instead of
# Chromium's animated test pattern, which holds no face and which the photo gate refuses.
FAKE_CAMERA_IMAGE = Path(__file__).parent / "inference/tests/fixtures/astronaut.jpg"


def write_y4m(image_path: Path, target: Path, *, size: int = 480) -> Path:
    """One 4:2:0 frame of ``image_path`` as Y4M, the format Chromium's fake camera loops."""
    from PIL import Image

    frame = Image.open(image_path).convert("RGB").resize((size, size)).convert("YCbCr")
    y, cb, cr = frame.split()
    half = (size // 2, size // 2)
    target.write_bytes(
        f"YUV4MPEG2 W{size} H{size} F30:1 Ip A1:1 C420jpeg\n".encode()
        + b"FRAME\n"
        + y.tobytes()
        + cb.resize(half).tobytes()
        + cr.resize(half).tobytes()
    )
    return target


@pytest.fixture(scope="session")
def playwright_session() -> Iterator:
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM_PATH):
        pytest.fail(f"Chromium not found at {CHROMIUM_PATH}; install Debian's 'chromium'.")
    with sync_playwright() as playwright:
        yield playwright


def chromium_with_camera(playwright, camera: Path):
    """Headless Chromium whose fake camera loops ``camera`` (a Y4M file)."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM_PATH,
        headless=True,
        args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={camera}"],
    )


@pytest.fixture(scope="session")
def chromium(playwright_session, tmp_path_factory) -> Iterator:
    camera = write_y4m(FAKE_CAMERA_IMAGE, tmp_path_factory.mktemp("camera") / "face.y4m")
    browser = chromium_with_camera(playwright_session, camera)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def faceless_chromium(playwright_session) -> Iterator:
    """Chromium whose fake camera shows its own test pattern: no face anywhere."""
    browser = playwright_session.chromium.launch(
        executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


def _open_page(browser, live_server) -> Iterator:
    context = browser.new_context(base_url=live_server.url, permissions=["camera", "microphone"])
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()


@pytest.fixture
def page(chromium, live_server) -> Iterator:
    """A fresh browser context; console errors are collected in ``page.console_errors``."""
    yield from _open_page(chromium, live_server)


@pytest.fixture
def faceless_page(faceless_chromium, live_server) -> Iterator:
    """Like ``page``, with a camera that shows no face."""
    yield from _open_page(faceless_chromium, live_server)


@pytest.fixture
def browser_login(password) -> Callable:
    """Sign ``user`` in through the real login page."""

    def login(page, user) -> None:
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")

    return login
