"""A tiny Docker token server (the `realm` of `auth.token`) running in a thread.

Distribution 2.8 rules it follows (see shared/reference/registry-lab.md §5):
ES256, `kid` = libtrust fingerprint of a key in `rootcertbundle`, `aud` a plain
string equal to the service, integer `exp`/`nbf`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .net import LOOPBACK
from .registry import TokenAuth

# What a user with push rights gets; DELETE of a manifest needs "delete" in 2.8.
PUSH_ACTIONS = frozenset({"pull", "push", "delete"})
PULL_ACTIONS = frozenset({"pull"})


def libtrust_kid(public_key: ec.EllipticCurvePublicKey) -> str:
    """base32(sha256(DER SubjectPublicKeyInfo)[:30]) in 12 groups of 4, as libtrust does."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    b32 = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(b32[i : i + 4] for i in range(0, len(b32), 4))


def _self_signed_cert(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "registry-lab token issuer")])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def parse_scope(scope: str) -> tuple[str, str, set[str]] | None:
    """'repository:a/b:pull,push' -> ('repository', 'a/b', {'pull', 'push'})."""
    # The name may itself contain ':' (registry host with port), so split from both ends.
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    if not kind or not name:
        return None
    return kind, name, {a for a in actions.split(",") if a}


class TokenServer:
    """Issues registry tokens for users in `users` (name -> password).

    Authenticated users get pull; users in `pushers` also get push and delete.
    Anonymous requests get pull only if `anonymous_pull`, otherwise an empty grant
    (the registry then answers 401 insufficient_scope, as real registries do).
    """

    def __init__(
        self,
        workdir: Path,
        *,
        users: dict[str, str],
        pushers: Iterable[str] = (),
        anonymous_pull: bool = False,
        service: str = "registry-lab",
        issuer: str = "registry-lab-issuer",
        ttl: int = 300,
    ) -> None:
        self.workdir = Path(workdir)
        self.users = dict(users)
        self.pushers = set(pushers)
        self.anonymous_pull = anonymous_pull
        self.service = service
        self.issuer = issuer
        self.ttl = ttl
        # (subject or None, granted access) per issued token, for assertions in tests.
        self.issued: list[tuple[str | None, list[dict[str, Any]]]] = []
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.kid = libtrust_kid(self._key.public_key())
        self.cert_path = self.workdir / "token-cert.pem"
        self.key_path = self.workdir / "token-key.pem"
        self._write_key_material()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _write_key_material(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        cert = _self_signed_cert(self._key)
        # rootcertbundle must contain a CERTIFICATE; a bare public key is rejected.
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.key_path.write_bytes(
            self._key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> TokenServer:
        if self._httpd is None:
            # Binding port 0 directly: no race, unlike the registry which binds itself.
            self._httpd = ThreadingHTTPServer((LOOPBACK, 0), _handler_for(self))
            self._httpd.daemon_threads = True
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, name="registry-lab-token", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()

    @property
    def realm(self) -> str:
        if self._httpd is None:
            raise RuntimeError("token server not started")
        return f"http://{LOOPBACK}:{self._httpd.server_address[1]}/token"

    def auth_config(self) -> TokenAuth:
        """The registry side of this server (for RegistryProcess(token=...))."""
        return TokenAuth(self.realm, self.service, self.issuer, self.cert_path)

    # -- tokens ----------------------------------------------------------------------------
    def grant(self, user: str | None, scopes: Iterable[str]) -> list[dict[str, Any]]:
        """The `access` claim for `user` (None = anonymous) asking for `scopes`."""
        if user is None:
            allowed = PULL_ACTIONS if self.anonymous_pull else frozenset()
        else:
            allowed = PUSH_ACTIONS if user in self.pushers else PULL_ACTIONS
        access = []
        for scope in scopes:
            parsed = parse_scope(scope)
            if parsed is None:
                continue
            kind, name, wanted = parsed
            if kind == "registry" and name == "catalog" and user is not None:
                access.append({"type": kind, "name": name, "actions": ["*"]})
            elif kind == "repository":
                actions = PUSH_ACTIONS if "*" in wanted else wanted
                granted = sorted(actions & allowed)
                if granted:
                    access.append({"type": kind, "name": name, "actions": granted})
        return access

    def make_token(self, subject: str | None, access: list[dict[str, Any]]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": subject or "",
            "aud": self.service,  # a string: 2.8 rejects a list
            "exp": now + self.ttl,  # integers: 2.8 rejects float exp/nbf
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        self.issued.append((subject, access))
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.kid})

    def authenticate(self, header: str | None) -> tuple[bool, str | None]:
        """(ok, username): (True, None) is anonymous, (False, None) wrong credentials."""
        if not header:
            return True, None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False, None
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False, None
        return (True, user) if self.users.get(user) == password else (False, None)

    def __enter__(self) -> TokenServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler_for(server: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path != "/token":
                return self._reply(404, {"errors": [{"code": "NOT_FOUND"}]})
            query = parse_qs(url.query)
            if query.get("service", [server.service])[0] != server.service:
                return self._reply(400, {"errors": [{"code": "UNSUPPORTED_SERVICE"}]})
            ok, user = server.authenticate(self.headers.get("Authorization"))
            if not ok:
                return self._reply(401, {"errors": [{"code": "UNAUTHORIZED"}]})
            # Clients may send several scope params, each possibly space-separated.
            scopes = [s for value in query.get("scope", []) for s in value.split()]
            token = server.make_token(user, server.grant(user, scopes))
            self._reply(
                200,
                {
                    "token": token,
                    "access_token": token,
                    "expires_in": server.ttl,
                    "issued_at": dt.datetime.now(dt.UTC).isoformat(),
                },
            )

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="registry-lab-token"')
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep pytest output clean

    return Handler
