"""Private mode in headless Chromium: what the browser downloads and how long scoring takes.

    .venv/bin/python -m bench.private [--repeats 3]

Starts the app (SQLite in a temporary folder, the bundled starter models, PRIVATE_MODE=required)
under ``manage.py runserver``, signs an employee in with Playwright and measures, in one run:
the first load of the check-in page (models downloaded and compiled: until the page says they
are ready), the bytes it downloaded, a reload with the browser cache warm, and warm on-device
check-ins of a face photo and a 5 s voice clip (until the scores are shown) against the server
scoring the same files in this process (``inference.services``).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "bench-private-Passw0rd!"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _media(work: Path) -> tuple[Path, Path]:
    sys.path.insert(0, str(ROOT))
    from metrics.tests.media import png_bytes, wav_bytes

    image, audio = work / "face.png", work / "voice.wav"
    image.write_bytes(png_bytes())
    audio.write_bytes(wav_bytes(5.0))
    return image, audio


def _server_scores(env: dict[str, str], image: Path, audio: Path, repeats: int) -> Any:
    script = f"""
import io, json, time, django
django.setup()
from inference import services
image, audio = open({str(image)!r}, 'rb').read(), open({str(audio)!r}, 'rb').read()
services.score_image(io.BytesIO(image)); services.score_audio(io.BytesIO(audio))
times = []
for _ in range({repeats}):
    t = time.perf_counter()
    f = services.score_image(io.BytesIO(image)).score
    s = services.score_audio(io.BytesIO(audio)).score
    times.append((time.perf_counter() - t) * 1000)
print(json.dumps({{"fatigue": f, "stress": s, "ms": times}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


DEVICE_READY = "#checkin-form[data-device-ready=true]"


def _prepare_app(work: Path) -> dict[str, str]:
    """Migrate a SQLite database under ``work``, register the starter models and create the
    employee ``bench``; returns the environment the server runs with."""
    env = {
        **os.environ,
        "RESONANCE_VAR_DIR": str(work),
        "DJANGO_SETTINGS_MODULE": "resonance.settings",
        "PRIVATE_MODE": "required",
        "AXES_ENABLED": "false",
    }
    env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    _manage(env, "migrate", "--noinput", "-v0")
    _manage(env, "setup_models")
    _manage(
        env,
        "shell",
        "-c",
        "from django.utils import timezone; from accounts.models import User; "
        f"u = User.objects.create_user('bench', password={PASSWORD!r}, role='employee', "
        "biometric_consent_at=timezone.now())",
    )
    return env


def _wait_for_port(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.2)


def _record_page_load(results: dict[str, Any], name: str, page: Page, started: float) -> None:
    """Once the check-in page is ready to score on the device: the seconds since ``started``
    and what the page downloaded, as ``<name>_s``, ``<name>_mb`` and ``<name>_files``."""
    page.wait_for_selector(DEVICE_READY, timeout=180_000)
    results[f"{name}_s"] = time.perf_counter() - started
    # Resource Timing: transferSize is 0 for what came from the browser cache.
    files = page.evaluate(
        "() => Object.fromEntries(performance.getEntriesByType('resource')"
        ".map(e => [e.name.split('/').pop(), e.transferSize]))"
    )
    results[f"{name}_mb"] = sum(files.values()) / 1e6
    results[f"{name}_files"] = files


def _measure_in_browser(
    results: dict[str, Any], *, base: str, work: Path, image: Path, audio: Path, repeats: int
) -> None:
    with sync_playwright() as playwright:
        # A profile of its own, with a disk cache like a person's browser (a throw-away
        # context caches in memory only and drops the 15 MB runtime), starting cold.
        context = playwright.chromium.launch_persistent_context(
            str(work / "browser-profile"),
            executable_path=CHROMIUM,
            headless=True,
            base_url=base,
        )
        page = context.new_page()
        page.goto("/accounts/login/?next=/checkin/")
        page.fill("#id_username", "bench")
        page.fill("#id_password", PASSWORD)
        # Signing in lands on the check-in page: its first load is the cold one.
        started = time.perf_counter()
        page.click("button[type=submit]")
        _record_page_load(results, "first_load", page, started)

        # A later visit (another day's check-in): models and runtime come from the cache.
        started = time.perf_counter()
        page.goto("/me/trends/")
        page.goto("/checkin/")
        _record_page_load(results, "warm_reload", page, started)

        times = []
        for _ in range(repeats):
            page.reload()
            page.wait_for_selector(DEVICE_READY, timeout=180_000)
            page.set_input_files("#id_image", str(image))
            page.set_input_files("#id_audio", str(audio))
            started = time.perf_counter()
            page.click("#checkin-submit")
            page.wait_for_selector("#result:not([hidden]), #status-text.error")
            times.append((time.perf_counter() - started) * 1000)
            status = page.text_content("#status-text")
            if status != "Scored on this device.":
                raise SystemExit(f"check-in failed: {status}")
        results["device_checkin_ms"] = times
        context.close()


def _device_scores(env: dict[str, str]) -> dict[str, float]:
    """The scores of the latest check-in scored on the device."""
    scores: dict[str, float] = json.loads(
        _manage(
            env,
            "shell",
            "-c",
            "import json; from metrics.models import CheckIn; c = CheckIn.objects.filter("
            "source='device').latest('created_at'); "
            "print(json.dumps({'fatigue': c.fatigue, 'stress': c.stress}))",
        )
        .strip()
        .splitlines()[-1]
    )
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-private-"))
    env = _prepare_app(work)
    image, audio = _media(work)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    results: dict[str, Any] = {"repeats": args.repeats, "load_average_at_start": os.getloadavg()}
    try:
        _wait_for_port(port)
        _measure_in_browser(
            results, base=base, work=work, image=image, audio=audio, repeats=args.repeats
        )
        results["server_scoring"] = _server_scores(env, image, audio, args.repeats)
        results["device_scores"] = _device_scores(env)
    finally:
        server.terminate()
        server.wait(timeout=30)
    results["load_average_at_end"] = os.getloadavg()
    out = ROOT / "bench" / "results" / "private.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    device = statistics.median(results["device_checkin_ms"])
    dev, srv = results["device_scores"], results["server_scoring"]
    server_ms = statistics.median(results["server_scoring"]["ms"])
    print(
        f"Private mode in headless Chromium ({args.repeats} check-ins):\n"
        f"  first load of the check-in page, models downloaded and compiled: "
        f"{results['first_load_s']:.1f} s, {results['first_load_mb']:.1f} MB downloaded\n"
        f"  a later visit, browser cache warm: {results['warm_reload_s']:.1f} s, "
        f"{results['warm_reload_mb']:.2f} MB downloaded\n"
        f"  warm on-device check-in (photo + 5 s clip, scored and sent): {device:.0f} ms median\n"
        f"  the same two files scored by the server's code in one process: {server_ms:.0f} ms "
        f"median (ratio {device / server_ms:.1f}x)\n"
        f"  scores, device vs server: fatigue {dev['fatigue']:.4f} vs {srv['fatigue']:.4f}, "
        f"stress {dev['stress']:.4f} vs {srv['stress']:.4f} (max |diff| "
        f"{max(abs(dev[k] - srv[k]) for k in ('fatigue', 'stress')):.4f})\n"
        f"Load average {results['load_average_at_start'][0]:.1f} at start, "
        f"{results['load_average_at_end'][0]:.1f} at end. Results: {out}"
    )


if __name__ == "__main__":
    main()
