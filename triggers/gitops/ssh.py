"""Git over SSH with a deploy key: the URL, the private key and the server's
host key, checked when a trigger is saved, and the `ssh` command a
write-back runs (through GIT_SSH_COMMAND).

- URLs: `ssh://user@host[:port]/path` and the scp-like `user@host:path`.
  The user is required (the worker's own login name would be a guess).
- The deploy key: an unencrypted private key (OpenSSH or PEM format;
  Ed25519, ECDSA or RSA of 2048 bits or more), kept in OpenSSH format. A
  passphrase-protected key is refused: nobody could type the passphrase.
- The host key is required, there is no trust on first use: the first
  connection is exactly the one an attacker on the path (or a poisoned DNS
  answer) would answer, and a write-back pushes without anyone watching.
  Given as known_hosts lines (`ssh-keyscan` prints them) or as a bare public
  key (`ssh-ed25519 AAAA…`, the server's /etc/ssh/ssh_host_*_key.pub), which
  then holds for this repository's host only.
- The ssh command reads no configuration (`-F /dev/null`), no agent, no
  default keys, only the known_hosts file written for the run, never asks
  anything (BatchMode), never adds a host key; it connects to the address
  the outbound guard checked (`HostName`), while the host key is looked up
  by the name in the URL (`HostKeyAlias`).
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import hmac
import re
import shlex
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.utils import CryptographyDeprecationWarning

SshPrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

MAX_KEY = 16 * 1024
MAX_KNOWN_HOSTS = 64 * 1024
MAX_KNOWN_HOSTS_LINES = 200
MIN_RSA_BITS = 2048
CONNECT_TIMEOUT = 30
HOST_KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    }
)
# A host name or an IPv4 address; IPv6 in brackets. Never a leading '-', so
# neither ssh nor git can read it as an option.
_HOST = r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]+\])"
_USER = r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}"
_PATH = r"[^\s\x00-\x1f\x7f'\"\\`$;|&<>]{1,1024}"
_PORT = r"(?::(?P<port>\d{1,5}))?"
SSH_URL = re.compile(rf"^ssh://(?P<user>{_USER})@(?P<host>{_HOST}){_PORT}/(?!-)(?P<path>{_PATH})$")
SCP_URL = re.compile(rf"^(?P<user>{_USER})@(?P<host>{_HOST}):(?!/?/)(?!-)(?P<path>{_PATH})$")


class SshInputError(ValueError):
    """Bad SSH input, said plainly (it becomes a 400)."""


@dataclass(frozen=True)
class SshUrl:
    user: str
    host: str  # without brackets
    port: int

    @property
    def alias(self) -> str:
        """The name ssh looks the host key up by, as known_hosts writes it."""
        return self.host if self.port == 22 else f"[{self.host}]:{self.port}"


def is_ssh_url(url: str) -> bool:
    """Whether `url` means SSH to git (then it must parse as one): git's own
    rule, a `:` before any `/` without `://` is the scp-like form."""
    return url.startswith("ssh://") or ("://" not in url and ":" in url.split("/", 1)[0])


def parse_ssh_url(url: str) -> SshUrl:
    match = SSH_URL.match(url) or SCP_URL.match(url)
    if not match:
        raise SshInputError(
            f"url {url!r} is not an SSH repository URL: ssh://user@host[:port]/path or "
            "user@host:path (the user is required, e.g. git@github.com:acme/deploy.git)"
        )
    port = int(match.groupdict().get("port") or 22)
    if not 1 <= port <= 65535:
        raise SshInputError(f"url has an invalid port: {url!r}")
    return SshUrl(match["user"], match["host"].strip("[]"), port)


# --- the deploy key --------------------------------------------------------------


def validate_private_key(text: str) -> str:
    """The key in OpenSSH format (ends with a newline), or SshInputError
    saying what is wrong with it (never quoting it)."""
    text = text.strip().replace("\r\n", "\n")
    if not text:
        raise SshInputError("ssh_key is empty: give the deploy key's private key file")
    if len(text) > MAX_KEY:
        raise SshInputError(f"ssh_key is longer than {MAX_KEY} characters: not a private key")
    first = text.split(None, 1)[0]
    if first in HOST_KEY_TYPES or "PUBLIC KEY" in text.splitlines()[0]:
        raise SshInputError(
            "ssh_key is a public key: give the private key (the file without .pub); the "
            "public key is the one added to the repository as a deploy key"
        )
    data = text.encode() + b"\n"
    if not (text.startswith("-----BEGIN") and b"PRIVATE KEY-----" in data):
        raise SshInputError(
            "ssh_key is not a private key: expected the text of a key file, starting "
            "with -----BEGIN OPENSSH PRIVATE KEY-----"
        )
    key: object
    try:
        with warnings.catch_warnings():  # a DSA key is refused below, not warned about
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            if b"-----BEGIN OPENSSH PRIVATE KEY-----" in data:
                key = serialization.load_ssh_private_key(data, password=None)
            else:
                key = serialization.load_pem_private_key(data, password=None)
    except TypeError:  # cryptography: encrypted and no password given
        raise SshInputError(
            "ssh_key is protected by a passphrase, which nobody could type for the worker: "
            "give a key without one (ssh-keygen -p -N '' -f KEY removes it)"
        ) from None
    except (ValueError, binascii.Error, struct.error, IndexError):
        raise SshInputError("ssh_key is not a valid private key (damaged or truncated)") from None
    except UnsupportedAlgorithm:
        raise SshInputError(_UNSUPPORTED) from None
    if not isinstance(key, SshPrivateKey):
        raise SshInputError(_UNSUPPORTED)
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size < MIN_RSA_BITS:
        raise SshInputError(f"ssh_key is an RSA key of {key.key_size} bits; {_UNSUPPORTED}")
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()


_UNSUPPORTED = "ssh_key must be an Ed25519, ECDSA or RSA (2048 bits or more) private key"


def public_key(private: str) -> str:
    """`ssh-ed25519 AAAA…` of a key `validate_private_key` returned."""
    key = serialization.load_ssh_private_key(private.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


def fingerprint(private: str) -> str:
    """`SHA256:…` as `ssh-keygen -l` prints it, for matching the deploy key."""
    blob = base64.b64decode(public_key(private).split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


# --- the server's host key -------------------------------------------------------


@dataclass(frozen=True)
class HostKeyLine:
    marker: str  # "", "@cert-authority" or "@revoked"
    patterns: str  # "" for a bare public key
    type: str
    blob: str

    def render(self, alias: str) -> str:
        hosts = self.patterns or alias
        return " ".join(part for part in (self.marker, hosts, self.type, self.blob) if part)


def validate_known_hosts(text: str, url: SshUrl) -> str:
    """The lines that hold for the URL's host (bare keys and known_hosts
    lines naming it), comments and other hosts dropped; SshInputError when
    a line is not a host key or none is for this host."""
    if not isinstance(text, str) or not text.strip():
        raise SshInputError(
            "known_hosts is required for an SSH URL: the server's host key, e.g. the output of "
            f"ssh-keyscan -p {url.port} {url.host} (checked beforehand), so that no one between "
            "the worker and the Git host can pose as it"
        )
    if len(text) > MAX_KNOWN_HOSTS:
        raise SshInputError(f"known_hosts is longer than {MAX_KNOWN_HOSTS} characters")
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if len(lines) > MAX_KNOWN_HOSTS_LINES:
        raise SshInputError(f"known_hosts has more than {MAX_KNOWN_HOSTS_LINES} lines")
    kept = []
    for number, line in enumerate(lines, 1):
        parsed = parse_host_key_line(line, number)
        if not parsed.patterns or host_matches(parsed.patterns, url.alias):
            kept.append(parsed)
    if not any(line.marker != "@revoked" for line in kept):
        raise SshInputError(
            f"known_hosts has no host key for {url.alias}: give a line for that host "
            f"(ssh-keyscan -p {url.port} {url.host}) or the server's public host key alone"
        )
    # Bare keys stay bare: a run writes them for the URL's host (`known_hosts_file`).
    return "\n".join(line.render("") for line in kept) + "\n"


def parse_host_key_line(line: str, number: int = 1) -> HostKeyLine:
    where = f"known_hosts line {number}"
    fields = line.split()
    marker = fields.pop(0) if fields and fields[0].startswith("@") else ""
    if marker not in ("", "@cert-authority", "@revoked"):
        raise SshInputError(f"{where}: unknown marker {marker[:40]!r}")
    patterns = ""
    if fields and fields[0] not in HOST_KEY_TYPES:
        patterns = fields.pop(0)
    if len(fields) < 2 or fields[0] not in HOST_KEY_TYPES:
        raise SshInputError(
            f"{where} is not a host key: expected [host] TYPE BASE64 with TYPE one of "
            f"{', '.join(sorted(HOST_KEY_TYPES))}"
        )
    kind, blob = fields[0], fields[1]
    try:
        raw = base64.b64decode(blob, validate=True)
        (length,) = struct.unpack(">I", raw[:4])
        named = raw[4 : 4 + length].decode()
    except (binascii.Error, struct.error, UnicodeDecodeError):
        named = ""
    if named != kind:
        raise SshInputError(f"{where}: the {kind} key is not valid (damaged or truncated)")
    return HostKeyLine(marker, patterns, kind, blob)


def host_matches(patterns: str, alias: str) -> bool:
    """Whether a known_hosts host field names `alias`, as ssh decides it:
    hashed names (`|1|salt|hash`), wildcards, and `!` negations."""
    name = alias.lower()
    if patterns.startswith("|1|"):
        try:
            _, _, salt, digest = patterns.split("|")
            expected = hmac.new(base64.b64decode(salt), name.encode(), hashlib.sha1).digest()
            return hmac.compare_digest(expected, base64.b64decode(digest))
        except (ValueError, binascii.Error):
            return False
    matched = False
    for pattern in patterns.lower().split(","):
        negated = pattern.startswith("!")
        if fnmatch.fnmatchcase(name, pattern.lstrip("!").replace("[", "[[]")):
            if negated:
                return False
            matched = True
    return matched


def known_hosts_file(lines: str, url: SshUrl) -> str:
    """The known_hosts file a run writes: bare keys are written for the
    URL's host (by its alias) only."""
    rendered = [parse_host_key_line(line).render(url.alias) for line in lines.splitlines() if line]
    return "\n".join(rendered) + "\n"


# --- the command -----------------------------------------------------------------


def ssh_command(
    *, key_file: Path, known_hosts: Path, url: SshUrl, address: str, timeout: int
) -> str:
    """GIT_SSH_COMMAND: git runs it through a shell, so every word is quoted."""
    options = {
        "IdentitiesOnly": "yes",
        "IdentityAgent": "none",
        "UserKnownHostsFile": str(known_hosts),
        "GlobalKnownHostsFile": "/dev/null",
        "StrictHostKeyChecking": "yes",
        "UpdateHostKeys": "no",
        "CheckHostIP": "no",
        "HostKeyAlias": url.alias,
        "BatchMode": "yes",
        "PasswordAuthentication": "no",
        "KbdInteractiveAuthentication": "no",
        "ConnectTimeout": str(timeout),
        "ConnectionAttempts": "1",
        # A stalled server is dropped, as http.lowSpeedTime drops a stalled HTTP one.
        "ServerAliveInterval": "15",
        "ServerAliveCountMax": "2",
        "ForwardAgent": "no",
        "ForwardX11": "no",
        "ClearAllForwardings": "yes",
        "PermitLocalCommand": "no",
        "LogLevel": "ERROR",
    }
    if address:
        options["HostName"] = address
    words = ["ssh", "-F", "/dev/null", "-i", str(key_file)]
    for name, value in options.items():
        words += ["-o", f"{name}={value}"]
    return shlex.join(words)
