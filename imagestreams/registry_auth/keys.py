"""The signing key of our registry token server and the certificate the
paired Distribution registry trusts (`auth.token.rootcertbundle`)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def libtrust_kid(public_key) -> str:
    """The key id Distribution 2.8 matches against its trusted certificates:
    base32 of the first 240 bits of sha256(DER SubjectPublicKeyInfo), in
    groups of four."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


def generate_keypair(directory: Path, *, common_name: str, days: int = 3650) -> tuple[Path, Path]:
    """Write key.pem (EC P-256, mode 0600) and cert.pem (self-signed) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / "key.pem", directory / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@lru_cache(maxsize=4)
def load_signing_key(path: str):
    """(private key, kid) from a PEM file; cached per path."""
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    return key, libtrust_kid(key.public_key())
