"""Security properties that hold for every page, whichever feature adds it."""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)


def all_templates() -> list[Path]:
    app_templates = Path(settings.BASE_DIR).glob("*/templates/**/*.html")
    return sorted([*TEMPLATES_DIR.rglob("*.html"), *app_templates])


@pytest.mark.parametrize("template", all_templates(), ids=lambda p: str(p.name))
def test_templates_have_no_inline_scripts_or_handlers(template):
    source = template.read_text()

    assert not INLINE_SCRIPT.search(source), f"inline <script> in {template}"
    assert not INLINE_HANDLER.search(source), f"inline event handler in {template}"


def test_pages_send_a_strict_content_security_policy(client, employee):
    client.force_login(employee)

    response = client.get("/accounts/password/")

    policy = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy).group(1)
    assert script_src.strip() == "'self'"
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_uploaded_media_is_never_served(client, employee, settings):
    media = Path(settings.MEDIA_ROOT) / "checkins" / "image"
    media.mkdir(parents=True)
    (media / "abc").write_bytes(b"\x89PNG fake")
    client.force_login(employee)

    for path in ["/media/checkins/image/abc", f"{settings.MEDIA_URL}checkins/image/abc"]:
        assert client.get(path).status_code == 404


def test_session_cookies_are_http_only():
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


def test_unknown_api_urls_answer_json_404(api_client_for, employee):
    response = api_client_for(employee).get("/api/v1/sync/not-a-number/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_unknown_pages_answer_an_html_404(client, employee):
    client.force_login(employee)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
