"""A real SAML 2.0 identity provider for the sign-in tests, built on pysaml2 (an implementation
independent of python3-saml, which the app uses), signing with the xmlsec1 program.

It serves on 127.0.0.1 (a free port), in a thread of the test process:
* ``GET /metadata`` its IdP metadata (entity ID, HTTP-Redirect SSO endpoint, signing cert);
* ``GET /sso/redirect`` takes an AuthnRequest (HTTP-Redirect binding) and shows a sign-in form;
* ``POST /sso/login`` checks the password and answers with a page whose form posts the signed
  Response to the ACS URL the service provider's metadata names (HTTP-POST binding).

``fault`` makes it commit one mistake in the next responses, the way a misconfigured or
hostile IdP would: no signature, a signature on the Response only (the assertion inside
could then be swapped), a signature by another key, an expired assertion, an
assertion for another audience, or one that answers no request (IdP-initiated).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

with warnings.catch_warnings():
    # pysaml2 still names a cipher mode cryptography has moved; nothing here uses it.
    warnings.simplefilter("ignore")
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.config import IdPConfig
    from saml2.metadata import create_metadata_string
    from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
    from saml2.server import Server
    from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

XMLSEC_BINARY = "/usr/bin/xmlsec1"
FAULTS = (
    "unsigned",
    "response-signed-only",
    "other-key",
    "expired",
    "wrong-audience",
    "unsolicited",
)


def self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    """A 2048-bit RSA key and a self-signed certificate for it, as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = directory / f"{name}.key", directory / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def cert_body(cert_file: Path) -> str:
    """The certificate as SAML configuration carries it: base64 DER, no PEM armour."""
    lines = cert_file.read_text().strip().splitlines()
    return "".join(line for line in lines if not line.startswith("-----"))


@dataclass
class IdPUser:
    password: str
    # SAML attribute name -> values, sent in the AttributeStatement.
    attributes: dict[str, list[str]]
    name_id: str


@dataclass
class SamlIdentityProvider:
    workdir: Path
    users: dict[str, IdPUser]
    url: str = ""
    fault: str | None = None
    _sp_metadata: str = ""
    _servers: dict[str, Server] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.key_file, self.cert_file = self_signed(self.workdir, "idp")
        # Another IdP's key: a response it signs must be refused.
        self.other_key_file, self.other_cert_file = self_signed(self.workdir, "other-idp")

    @property
    def entity_id(self) -> str:
        return f"{self.url}/metadata"

    @property
    def sso_url(self) -> str:
        return f"{self.url}/sso/redirect"

    @property
    def slo_url(self) -> str:
        return f"{self.url}/slo"

    @property
    def x509cert(self) -> str:
        return cert_body(self.cert_file)

    def trust(self, sp_metadata: str) -> None:
        """Register the service provider, as an IdP administrator uploads its metadata."""
        with self._lock:
            self._sp_metadata = sp_metadata
            self._servers.clear()

    def _config(self, *, other_key: bool = False, lifetime_minutes: int = 5) -> IdPConfig:
        key_file, cert_file = (
            (self.other_key_file, self.other_cert_file)
            if other_key
            else (self.key_file, self.cert_file)
        )
        config: dict[str, Any] = {
            "entityid": self.entity_id,
            "xmlsec_binary": XMLSEC_BINARY,
            "key_file": str(key_file),
            "cert_file": str(cert_file),
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)],
                        "single_logout_service": [(self.slo_url, BINDING_HTTP_REDIRECT)],
                    },
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": lifetime_minutes},
                            "attribute_restrictions": None,
                            "name_form": NAME_FORMAT_URI,
                        }
                    },
                    "want_authn_requests_signed": False,
                }
            },
            "allow_unknown_attributes": True,
        }
        if self._sp_metadata:
            config["metadata"] = {"inline": [self._sp_metadata]}
        idp_config = IdPConfig()
        idp_config.load(config)
        return idp_config

    def _server(self, kind: str) -> Server:
        with self._lock:
            if kind not in self._servers:
                self._servers[kind] = Server(
                    config=self._config(
                        other_key=kind == "other-key",
                        lifetime_minutes=-10 if kind == "expired" else 5,
                    )
                )
            return self._servers[kind]

    def metadata(self) -> str:
        metadata = create_metadata_string(None, config=self._config(), valid=24)
        return metadata.decode() if isinstance(metadata, bytes) else metadata

    def signed_response(self, saml_request: str, username: str) -> tuple[str, str]:
        """The base64 Response to the AuthnRequest, and the ACS URL it is posted to."""
        fault = self.fault
        server = self._server(fault if fault in ("other-key", "expired") else "good")
        request = server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT).message
        sp_entity_id = request.issuer.text
        _, acs_url = server.pick_binding(
            "assertion_consumer_service", bindings=[BINDING_HTTP_POST], entity_id=sp_entity_id
        )
        user = self.users[username]
        response = server.create_authn_response(
            identity=user.attributes,
            in_response_to=None if fault == "unsolicited" else request.id,
            destination=acs_url,
            sp_entity_id=(
                "https://another-service.example/saml"
                if fault == "wrong-audience"
                else sp_entity_id
            ),
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=user.name_id),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
            sign_assertion=fault not in ("unsigned", "response-signed-only"),
            sign_response=fault == "response-signed-only",
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
        return base64.b64encode(str(response).encode()).decode(), acs_url

    def logout_request_url(
        self, sp_entity_id: str, username: str, *, signed: bool, other_key: bool = False
    ) -> str:
        """Where the IdP sends a browser to sign the person out at the service provider too
        (IdP-initiated single logout, HTTP-Redirect binding), signed in the query (with its
        key or another) or not."""
        server = self._server("other-key" if other_key else "good")
        _, destination = server.pick_binding(
            "single_logout_service", bindings=[BINDING_HTTP_REDIRECT], entity_id=sp_entity_id
        )
        _, request = server.create_logout_request(
            destination,
            sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=self.users[username].name_id),
            sign=False,
        )
        info = server.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(request),
            destination,
            relay_state="",
            sign=signed,
            sigalg=SIG_RSA_SHA256 if signed else None,
        )
        return dict(info["headers"])["Location"]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ["PATH_INFO"]
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path == "/metadata":
            return _answer(start_response, "200 OK", self.metadata(), "text/xml")
        if path == "/slo" and "SAMLResponse" in query:
            return _answer(start_response, "200 OK", "Signed out at the identity provider.")
        if path == "/sso/redirect" and "SAMLRequest" in query:
            return _answer(start_response, "200 OK", _login_form(query))
        if path == "/sso/login" and environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            form = {
                k: v[0]
                for k, v in parse_qs(
                    environ["wsgi.input"].read(length).decode(), keep_blank_values=True
                ).items()
            }
            user = self.users.get(form.get("username", ""))
            if user is None or user.password != form.get("password"):
                return _answer(start_response, "403 Forbidden", "Wrong username or password.")
            saml_response, acs_url = self.signed_response(form["SAMLRequest"], form["username"])
            return _answer(
                start_response,
                "200 OK",
                _post_form(acs_url, SAMLResponse=saml_response, RelayState=form["RelayState"]),
            )
        return _answer(start_response, "404 Not Found", "Not found.")


def _answer(
    start_response: Any, status: str, body: str, content_type: str = "text/html"
) -> list[bytes]:
    data = body.encode()
    start_response(status, [("Content-Type", f"{content_type}; charset=utf-8")])
    return [data]


def _post_form(action: str, **fields: str) -> str:
    inputs = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
        for name, value in fields.items()
    )
    return f'<form method="post" action="{html.escape(action)}">{inputs}</form>'


def _login_form(query: dict[str, str]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(query.get(name, ""))}">'
        for name in ("SAMLRequest", "RelayState")
    )
    return (
        f'<form method="post" action="/sso/login">{hidden}'
        '<input name="username"><input name="password" type="password"></form>'
    )


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(idp: SamlIdentityProvider) -> WSGIServer:
    """Serve the IdP on 127.0.0.1, a free port, in a daemon thread; returns the server."""
    server = make_server(
        "127.0.0.1", 0, idp, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    idp.url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
