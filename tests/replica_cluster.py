"""A PostgreSQL primary and a streaming replica of it, built for a test session in a temporary
directory on free ports: ``initdb``, replication allowed from 127.0.0.1 in its
``pg_hba.conf``, and the replica cloned with ``pg_basebackup``. The machine's shared PostgreSQL
is never touched (it grants no replication). Run as the ``postgres`` user when the tests run
as root, since PostgreSQL refuses to run as root."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path


def postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server programs, if installed."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent  # the real folder, not a link in /usr/local/bin
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Cluster:
    primary_port: int
    replica_port: int

    def url(self, port: int, database: str = "resonance") -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{database}"


@contextmanager
def streaming_replica() -> Iterator[Cluster]:
    binaries = postgres_bin()
    if binaries is None:
        raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are not installed.")
    root = Path(tempfile.mkdtemp(prefix="resonance-replica-"))
    as_root = os.geteuid() == 0
    if as_root:
        shutil.chown(root, "postgres", "postgres")

    def run(*command: str | Path) -> None:
        args = [str(binaries / str(command[0])), *map(str, command[1:])]
        if as_root:
            args = ["runuser", "-u", "postgres", "--", *args]
        done = subprocess.run(args, capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip()[-2000:]}")

    primary, replica = root / "primary", root / "replica"
    cluster = Cluster(primary_port=_free_port(), replica_port=_free_port())
    started: list[Path] = []
    try:
        run("initdb", "-D", primary, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {cluster.primary_port}\n"
                f"unix_socket_directories = '{root}'\nwal_level = replica\n"
                "max_wal_senders = 4\nfsync = off\n"
            )
        with (primary / "pg_hba.conf").open("a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        run("pg_ctl", "-D", primary, "-l", root / "primary.log", "-w", "start")
        started.append(primary)
        run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", cluster.primary_port, "-U", "postgres",
            "-D", replica, "-R", "-X", "stream", "--no-sync",
        )  # fmt: skip
        with (replica / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {cluster.replica_port}\nhot_standby = on\n")
        run("pg_ctl", "-D", replica, "-l", root / "replica.log", "-w", "start")
        started.append(replica)
        yield cluster
    finally:
        for folder in reversed(started):
            with suppress(subprocess.SubprocessError):
                run("pg_ctl", "-D", folder, "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
