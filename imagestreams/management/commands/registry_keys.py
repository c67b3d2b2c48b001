"""Make the signing key of the registry token server and the certificate the
integrated registry must trust, and print the registry's `auth` block."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from imagestreams.registry_auth.keys import generate_keypair, libtrust_kid, load_signing_key


class Command(BaseCommand):
    help = "Generate the registry token signing key and certificate (once)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--realm", default="http://127.0.0.1:8000/registry/token")
        parser.add_argument("--force", action="store_true", help="Replace an existing key.")

    def handle(self, *args, realm: str, force: bool, **options) -> None:
        key_path = Path(settings.REGISTRY_TOKEN_KEY_FILE)
        if key_path.exists() and not force:
            raise CommandError(
                f"{key_path} exists; use --force to replace it (tokens signed "
                "with the old key stop working)"
            )
        key_path, cert_path = generate_keypair(
            key_path.parent, common_name=settings.REGISTRY_TOKEN_ISSUER
        )
        load_signing_key.cache_clear()
        key, kid = load_signing_key(str(key_path))
        assert kid == libtrust_kid(key.public_key())
        self.stdout.write(f"Signing key: {key_path}\nCertificate: {cert_path}\nKey id: {kid}\n")
        self.stdout.write(
            "Registry configuration (auth section):\n"
            "auth:\n  token:\n"
            f"    realm: {realm}\n"
            f"    service: {settings.REGISTRY_TOKEN_SERVICE}\n"
            f"    issuer: {settings.REGISTRY_TOKEN_ISSUER}\n"
            f"    rootcertbundle: {cert_path}\n"
        )
