"""Fetching calendars over HTTP without letting a URL reach inside our network.

A calendar URL comes from the employee and is fetched by the server, so it could point at an
internal service (request forgery). Every request, and every redirect, goes through
``GuardedSession``: the host is resolved once, every address it resolves to must be globally
routable, and the connection is made to that checked address (pinned: the name is still sent as
the ``Host`` header and as TLS SNI, and the certificate is checked against the name), so a DNS
answer that changes between the check and the connection cannot slip through. Only HTTPS,
unless ``CALENDAR_ALLOW_PRIVATE_URLS`` (tests, on-premises servers) lifts both rules. Each
response is capped in size, and each request in connect time, read time and total time.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import urllib3
from django.conf import settings
from requests.adapters import HTTPAdapter

from .errors import CalendarFetchError

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Limits:
    allow_private: bool
    max_bytes: int
    connect_timeout: float
    read_timeout: float
    total_seconds: float
    # Host names (exact) exempt from both rules: an on-premises calendar server.
    trusted_hosts: frozenset[str] = frozenset()
    # A CA bundle (PEM file) to check certificates against instead of the public ones.
    ca_bundle: str | None = None

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            trusted_hosts=frozenset(h.lower() for h in settings.CALENDAR_TRUSTED_HOSTS),
            ca_bundle=settings.CALENDAR_CA_BUNDLE or None,
            allow_private=settings.CALENDAR_ALLOW_PRIVATE_URLS,
            max_bytes=settings.CALENDAR_MAX_BYTES,
            connect_timeout=settings.CALENDAR_CONNECT_TIMEOUT,
            read_timeout=settings.CALENDAR_READ_TIMEOUT,
            total_seconds=settings.CALENDAR_TOTAL_TIMEOUT,
        )


@dataclass(frozen=True)
class CheckedTarget:
    scheme: str
    host: str  # the name from the URL, lower-case, without brackets
    port: int
    address: str  # the resolved address that was checked and will be connected to


def _is_allowed_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_url(url: str, limits: Limits) -> CheckedTarget:
    """Resolves ``url``'s host and returns the address to connect to, or raises
    ``CalendarFetchError`` with a message the employee can act on."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise CalendarFetchError("Give a full web address starting with https://.")
    host = parts.hostname.lower()
    strict = not (limits.allow_private or host in limits.trusted_hosts)
    if scheme != "https" and strict:
        raise CalendarFetchError(
            "Only https:// calendar addresses are accepted: an http:// address would send your "
            "calendar unencrypted."
        )
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise CalendarFetchError("The address has an invalid port.") from exc
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise CalendarFetchError(
            f"The calendar's server name '{host}' could not be found."
        ) from exc
    # IPv4 first: a dual-stack name is reached the way most servers listen.
    addresses = sorted(
        {ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos},
        key=lambda a: (a.version, int(a)),
    )
    if not addresses:
        raise CalendarFetchError(f"The calendar's server name '{host}' could not be found.")
    if strict and not all(_is_allowed_address(a) for a in addresses):
        raise CalendarFetchError(
            f"'{host}' is a private or local address. Resonance only fetches calendars from "
            "servers on the public internet."
        )
    return CheckedTarget(scheme=scheme, host=host, port=port, address=str(addresses[0]))


class PinnedAdapter(HTTPAdapter):
    """Connects to one checked address while speaking to the host by its name (Host header,
    SNI and certificate check)."""

    def __init__(self, target: CheckedTarget) -> None:
        self.target = target
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        if self.target.scheme == "https":
            kwargs["server_hostname"] = self.target.host
            kwargs["assert_hostname"] = self.target.host
        super().init_poolmanager(*args, **kwargs)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        parts = urlsplit(request.url or "")
        address = self.target.address
        netloc = f"[{address}]" if ":" in address else address
        request.headers["Host"] = parts.netloc.rsplit("@", 1)[-1]
        request.url = urlunsplit(parts._replace(netloc=f"{netloc}:{self.target.port}"))
        return super().send(request, stream, timeout, verify, cert, proxies)


class GuardedSession(requests.Session):
    """A ``requests.Session`` whose every request is checked and pinned (see the module),
    redirects followed here (each one checked), bodies capped and time bounded. The CalDAV
    client is given one in place of its own session."""

    def __init__(self, limits: Limits | None = None) -> None:
        super().__init__()
        self.limits = limits or Limits.from_settings()
        self.trust_env = False  # no proxies or .netrc from the environment
        self.max_redirects = MAX_REDIRECTS
        self.deadline = time.monotonic() + self.limits.total_seconds

    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> requests.Response:
        kwargs["allow_redirects"] = False
        kwargs["stream"] = True
        kwargs.pop("proxies", None)
        if self.limits.ca_bundle and kwargs.get("verify", True) is True:
            kwargs["verify"] = self.limits.ca_bundle
        original_host = urlsplit(url).hostname
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._one_request(method, url, *args, **kwargs)
            location = response.headers.get("Location")
            if response.status_code not in REDIRECT_CODES or not location:
                self._read_capped(response)
                return response
            response.close()
            url = urljoin(url, location)
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method.upper() == "POST"
            ):
                method = "GET"
                kwargs.pop("data", None)
            if urlsplit(url).hostname != original_host:
                # Credentials are for the server the person named, never for another.
                kwargs.pop("auth", None)
                headers = dict(kwargs.get("headers") or {})
                headers.pop("Authorization", None)
                kwargs["headers"] = headers
                self.auth = None
        raise CalendarFetchError(f"The calendar address redirects more than {MAX_REDIRECTS} times.")

    def _one_request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise CalendarFetchError(self._too_slow())
        target = check_url(url, self.limits)
        kwargs["timeout"] = (
            min(self.limits.connect_timeout, remaining),
            min(self.limits.read_timeout, remaining),
        )
        adapter = PinnedAdapter(target)
        self.mount(f"{target.scheme}://", adapter)
        try:
            return super().request(method, url, *args, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise CalendarFetchError(
                f"The calendar server '{target.host}' did not present a valid certificate."
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise CalendarFetchError(self._too_slow()) from exc
        except requests.exceptions.RequestException as exc:
            raise CalendarFetchError(
                f"Could not connect to the calendar server '{target.host}'."
            ) from exc

    def _read_capped(self, response: requests.Response) -> None:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.limits.max_bytes:
            response.close()
            raise CalendarFetchError(self._too_large())
        body = bytearray()
        try:
            for chunk in response.raw.stream(CHUNK_BYTES, decode_content=True):
                body += chunk
                if len(body) > self.limits.max_bytes:
                    raise CalendarFetchError(self._too_large())
                if time.monotonic() > self.deadline:
                    raise CalendarFetchError(self._too_slow())
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise CalendarFetchError(self._too_slow()) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise CalendarFetchError("The calendar server's answer was cut off.") from exc
        finally:
            response.close()
        response._content = bytes(body)

    def _too_large(self) -> str:
        megabytes = self.limits.max_bytes / 1_000_000
        return f"The calendar is larger than {megabytes:g} MB, more than Resonance reads."

    def _too_slow(self) -> str:
        return (
            "The calendar server took too long to answer "
            f"(more than {self.limits.total_seconds:g} s)."
        )


def fetch(url: str, *, limits: Limits | None = None, auth: Any = None) -> bytes:
    """GET ``url`` through the guard; the body, or ``CalendarFetchError``."""
    session = GuardedSession(limits)
    response = session.request("GET", url, auth=auth, headers={"Accept": "text/calendar"})
    if response.status_code >= 400:
        raise CalendarFetchError(
            f"The calendar server answered {response.status_code} {response.reason or ''}".rstrip()
            + "."
        )
    return response.content
