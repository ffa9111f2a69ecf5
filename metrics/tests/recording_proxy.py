"""A recording HTTP proxy for browser tests: Chromium talks to it, it forwards every request to
the live server unchanged and keeps the raw request bodies, as the server received them.

Playwright reports FormData and Blob bodies as empty, so a check that no image or audio byte
leaves the browser has to look at what reaches the server; this is that look, in front of the
real server rather than inside it.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"}


@dataclass
class Recorded:
    method: str
    path: str
    content_type: str
    body: bytes


@dataclass
class Recording:
    url: str
    requests: list[Recorded] = field(default_factory=list)


@contextmanager
def recording_proxy(target: str) -> Iterator[Recording]:
    """A proxy on 127.0.0.1 in front of ``target`` (``http://host:port``)."""
    upstream = urlsplit(target)
    lock = threading.Lock()
    recording = Recording(url="")

    class Handler(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with lock:
                recording.requests.append(
                    Recorded(self.command, self.path, self.headers.get("Content-Type", ""), body)
                )
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            self.send_response(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            connection.close()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recording.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield recording
    finally:
        server.shutdown()
        server.server_close()
