"""Team pages read from a real streaming replica when ``DATABASE_REPLICA_URL`` is set, and
nothing else does: a primary and its replica are built for the test (tests/replica_cluster.py),
the replica's replay is paused, and a week published meanwhile is invisible to the heatmap API
while the session, the login and the write all worked on the primary."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from .replica_cluster import postgres_bin, streaming_replica

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    postgres_bin() is None, reason="PostgreSQL's server programs are not installed"
)


def test_the_team_pages_read_from_the_replica_and_everything_else_from_the_primary(tmp_path):
    with streaming_replica() as cluster:
        with psycopg.connect(cluster.url(cluster.primary_port, "postgres"), autocommit=True) as db:
            db.execute("create database resonance")
        env = {
            **os.environ,
            "DATABASE_URL": cluster.url(cluster.primary_port),
            "DATABASE_REPLICA_URL": cluster.url(cluster.replica_port),
            "RESONANCE_VAR_DIR": str(tmp_path),
            "DJANGO_ENV": "development",
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=ROOT, env=env, check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        probe = subprocess.run(
            [sys.executable, str(ROOT / "tests" / "replica_probe.py")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    assert probe.returncode == 0, probe.stderr[-3000:]
    result = json.loads(probe.stdout.strip().splitlines()[-1])
    assert result["replica_in_recovery"] is True  # a real standby, not a copy
    assert result["primary_count"] == 2
    assert result["paused_cells"] == [55.0]  # read on the replica: the new week is not there
    assert result["dashboard_status"] == 200  # signed in on the primary all the same
    assert result["resumed_cells"] == [55.0, 80.0]
