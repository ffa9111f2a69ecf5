"""A short run of the mixed-traffic load test (``bench/load.py``) against real servers."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _postgres_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", connect_timeout=2).close()
    except Exception:
        return False
    return True


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(
            redis.Redis.from_url("redis://127.0.0.1:6379/7", socket_connect_timeout=2).ping()
        )
    except redis.exceptions.RedisError:
        return False


def test_short_mixed_load_run_loses_no_checkin():
    if not (_postgres_reachable() and _redis_reachable()):
        pytest.skip("The load test needs PostgreSQL and Redis on 127.0.0.1.")
    before = set((ROOT / "bench" / "results").glob("load-*.json"))
    run = subprocess.run(
        [
            sys.executable,
            "bench/load.py",
            "--rate",
            "3",
            "--duration",
            "15",
            "--no-ramp",
            "--mix",
            "checkin=1,dashboard=1,heatmap=1,excuse=1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    written = set((ROOT / "bench" / "results").glob("load-*.json")) - before
    result = json.loads(max(written).read_text())
    assert result["lost"] == 0
    assert result["daily_metrics_match"] and result["scored_more_than_once"] == 0
    assert result["accepted_checkins"] > 0
    assert set(result["hold"]["per_kind"]) == {"checkin", "dashboard", "heatmap", "excuse"}
    assert result["hold"]["errors"] == 0
