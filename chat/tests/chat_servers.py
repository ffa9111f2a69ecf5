"""A local HTTP server that answers like the Slack Web API and like Teams Workflows webhooks,
and records every request it gets.

Slack (under ``/api/``): ``auth.test``, ``users.lookupByEmail``, ``conversations.open`` and
``chat.postMessage`` with Slack's ``{"ok": true, ...}`` JSON, a bearer token checked on every
call (``invalid_auth`` otherwise), ``users_not_found`` for an unknown email. Teams (under
``/teams/<name>``): 202 Accepted. Any path can be told to answer the next requests otherwise
(429 with Retry-After, 400, 500, a dropped connection) with ``answer_next``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

DROP = "drop"  # close the connection without answering


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class ChatServer:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def slack_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def teams_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/teams/{name}"

    def start(self) -> ChatServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset(self) -> None:
        with getattr(self, "lock", threading.Lock()):
            self.requests: list[Recorded] = []
            self.tokens: set[str] = set()
            self.users_by_email: dict[str, str] = {}
            self.scripted: dict[str, deque[Answer | str]] = defaultdict(deque)

    def answer_next(self, path: str, *answers: Answer | str) -> None:
        with self.lock:
            self.scripted[path].extend(answers)

    # --- what was received ---------------------------------------------------------------

    def calls(self, path: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def slack_messages(self) -> list[Recorded]:
        """chat.postMessage calls Slack accepted (answered ok)."""
        return [r for r in self.calls("/api/chat.postMessage") if r.body.get("_accepted")]

    def teams_posts(self, name: str) -> list[Recorded]:
        return [r for r in self.calls(f"/teams/{name}") if r.body.get("_accepted")]

    def slack_dms_to(self, slack_user_id: str) -> list[Recorded]:
        return [m for m in self.slack_messages() if m.body["channel"] == f"D{slack_user_id}"]

    # --- answering -----------------------------------------------------------------------

    def _slack(self, method: str, token: str, params: dict[str, Any]) -> Answer:
        if token not in self.tokens:
            return Answer(200, {"ok": False, "error": "invalid_auth"})
        if method == "auth.test":
            return Answer(200, {"ok": True, "team": "Acme", "team_id": "T1", "user_id": "UBOT"})
        if method == "users.lookupByEmail":
            user_id = self.users_by_email.get(str(params.get("email", "")).lower())
            if user_id is None:
                return Answer(200, {"ok": False, "error": "users_not_found"})
            return Answer(200, {"ok": True, "user": {"id": user_id, "team_id": "T1"}})
        if method == "conversations.open":
            users = str(params.get("users", ""))
            if users not in self.users_by_email.values():
                return Answer(200, {"ok": False, "error": "user_not_found"})
            return Answer(200, {"ok": True, "channel": {"id": f"D{users}"}})
        if method == "chat.postMessage":
            if not str(params.get("channel", "")).startswith("D"):
                return Answer(200, {"ok": False, "error": "channel_not_found"})
            params["_accepted"] = True
            ts = f"{time.time():.6f}"
            return Answer(200, {"ok": True, "channel": params["channel"], "ts": ts})
        return Answer(404, {"ok": False, "error": "unknown_method"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body: dict[str, Any] = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if "json" in (self.headers.get("Content-Type") or ""):
                    body.update(json.loads(raw or b"{}"))
                elif raw:
                    body.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
                recorded = Recorded(parts.path, dict(self.headers), body, time.monotonic())
                with server.lock:
                    server.requests.append(recorded)
                    scripted = server.scripted[parts.path]
                    answer = scripted.popleft() if scripted else None
                if answer == DROP:
                    self.close_connection = True
                    self.connection.close()
                    return
                if answer is None:
                    answer = server._default(parts.path, self.headers, body)
                assert isinstance(answer, Answer)
                self._reply(answer)

            def _reply(self, answer: Answer) -> None:
                payload = (
                    answer.body.encode()
                    if isinstance(answer.body, str)
                    else json.dumps(answer.body).encode()
                    if answer.body is not None
                    else b""
                )
                self.send_response(answer.status)
                kind = "text/plain" if isinstance(answer.body, str) else "application/json"
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve

        return Handler

    def _default(self, path: str, headers: Any, body: dict[str, Any]) -> Answer:
        if path.startswith("/api/"):
            auth = headers.get("Authorization") or ""
            token = auth.removeprefix("Bearer ").strip()
            return self._slack(path.removeprefix("/api/"), token, body)
        if path.startswith("/teams/"):
            if body.get("type") != "message" or not body.get("attachments"):
                return Answer(400, {"error": {"code": "InvalidRequestContent"}})
            body["_accepted"] = True
            return Answer(202, None)
        return Answer(404, {"error": "not found"})


def rate_limited(seconds: int, *, slack: bool = True) -> Answer:
    body = {"ok": False, "error": "ratelimited"} if slack else {"error": "TooManyRequests"}
    return Answer(429, body, {"Retry-After": str(seconds)})
