"""Errors raised by the registry layer.

Each error carries an OpenShift ``metav1.Status`` reason so that the Django
layer can record an ``ImportSuccess=False`` condition without re-classifying
anything, and a ``retryable`` flag so that schedulers know whether trying again
later can help.
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base class: something went wrong while talking to a registry."""

    reason: str = "InternalError"
    retryable: bool = False

    def __init__(
        self, message: str, *, reason: str | None = None, retryable: bool | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        # Instance attributes shadow the class defaults only when given, so
        # subclasses keep their own reason/retryable unless a caller overrides.
        if reason is not None:
            self.reason = reason
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        return self.message


class InvalidReference(RegistryError):
    """The image reference text does not follow the Distribution grammar."""

    reason = "Invalid"


class NotFound(RegistryError):
    """The repository, tag, digest or blob does not exist (or is hidden)."""

    reason = "NotFound"


class Unauthorized(RegistryError):
    """The registry refused us (HTTP 401)."""

    reason = "Unauthorized"


class CredentialsRejected(Unauthorized):
    """The registry or its token server rejected the username/password.

    Kept separate from ``Unauthorized`` because OpenShift retries such imports
    anonymously: public images on registries that reject bad credentials must
    still import.
    """


class Forbidden(RegistryError):
    """The registry understood who we are and said no (HTTP 403 / DENIED)."""

    reason = "Forbidden"


class InsecureRequired(RegistryError):
    """The registry speaks plain HTTP but the import was not marked insecure."""

    reason = "BadRequest"


class RateLimited(RegistryError):
    """HTTP 429. ``retry_after`` is in seconds when the registry told us."""

    reason = "TooManyRequests"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RegistryUnavailable(RegistryError):
    """Connection refused, timeouts, 5xx answers, redirect loops."""

    reason = "ServiceUnavailable"
    retryable = True


class DigestMismatch(RegistryError):
    """Content did not hash to the digest that was asked for or announced."""

    reason = "InternalError"


class InvalidManifest(RegistryError):
    """Malformed, oversized or unsupported manifest (or image config)."""

    reason = "InternalError"
