"""Symmetric encryption for secrets stored in the database (Fernet)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    key = settings.CREDENTIALS_KEY
    if not key:
        # Derived so that a zero-setup install works; operators set
        # IMAGESTREAMS_CREDENTIALS_KEY to decouple it from SECRET_KEY.
        digest = hashlib.sha256(
            b"imagestreams-credentials:" + settings.SECRET_KEY.encode()
        ).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key.encode())


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError(
            "stored secret cannot be decrypted: was IMAGESTREAMS_CREDENTIALS_KEY or "
            "SECRET_KEY changed?"
        ) from None
