"""Real servers for the calendar tests, started once per test session on 127.0.0.1: a small
HTTP server that serves ICS feeds (and misbehaves on request), and a Radicale CalDAV server."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/calendar"})
    delay: float = 0.0  # before the answer
    trickle: float = 0.0  # between chunks of 1 KB of the body
    send_length: bool = True


class FeedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FeedHandler)
        self.routes: dict[str, Route] = {}
        self.seen: list[tuple[str, str]] = []  # (path, Host header)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


class FeedHandler(BaseHTTPRequestHandler):
    server: FeedServer

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Host", "")))
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404, "No such feed")
            return
        time.sleep(route.delay)
        try:
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.send_length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            if route.trickle:
                for start in range(0, len(route.body), 1024):
                    self.wfile.write(route.body[start : start + 1024])
                    self.wfile.flush()
                    time.sleep(route.trickle)
            else:
                self.wfile.write(route.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should on a slow or huge answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def feeds(feed_server: FeedServer) -> Iterator[FeedServer]:
    """The session's feed server with no routes left over from another test."""
    feed_server.routes.clear()
    feed_server.seen.clear()
    yield feed_server
    feed_server.routes.clear()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Radicale:
    url: str
    username: str
    password: str


@pytest.fixture(scope="session")
def radicale_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    """Radicale (from PyPI) in a subprocess: htpasswd plain-text users, a temporary storage
    folder, a free port."""
    folder: Path = tmp_path_factory.mktemp("radicale")
    users = folder / "users"
    users.write_text("erin:s3cret-caldav\n")
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--auth-type",
            "htpasswd",
            "--auth-htpasswd-filename",
            str(users),
            "--auth-htpasswd-encryption",
            "plain",
            "--storage-filesystem-folder",
            str(folder / "collections"),
            "--rights-type",
            "owner_only",
            "--logging-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                errors = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"Radicale did not start: {errors}")
            time.sleep(0.1)
    yield Radicale(url=f"http://127.0.0.1:{port}/", username="erin", password="s3cret-caldav")
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
    shutil.rmtree(folder, ignore_errors=True)


def _certificate_pair(folder: Path, name: str) -> tuple[Path, Path, Path]:
    """A throwaway certificate authority and a server certificate it signed for ``name``:
    (CA file, certificate file, key file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Calendar test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    paths = (folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
    paths[0].write_bytes(ca_cert.public_bytes(pem))
    paths[1].write_bytes(cert.public_bytes(pem))
    paths[2].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


@dataclass(frozen=True)
class TlsFeeds:
    server: FeedServer
    ca_file: Path

    def url(self, path: str, host: str = "localhost") -> str:
        return f"https://{host}:{self.server.port}{path}"


@pytest.fixture(scope="session")
def tls_feed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsFeeds]:
    """The feed server over HTTPS, with a certificate for ``localhost`` from its own CA."""
    ca_file, cert_file, key_file = _certificate_pair(tmp_path_factory.mktemp("tls"), "localhost")
    server = FeedServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield TlsFeeds(server=server, ca_file=ca_file)
    server.shutdown()
    server.server_close()


@pytest.fixture
def tls_feeds(tls_feed_server: TlsFeeds) -> Iterator[TlsFeeds]:
    tls_feed_server.server.routes.clear()
    tls_feed_server.server.seen.clear()
    yield tls_feed_server
    tls_feed_server.server.routes.clear()
