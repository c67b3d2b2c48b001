"""Image references such as ``quay.io/org/app:1.2`` or ``mysql@sha256:...``.

The grammar is the one of github.com/distribution/reference; the split between
registry host and repository path follows the Docker CLI. References keep the
text exactly as typed (OpenShift stores ``dockerImageReference`` that way) and
expose the normalised Docker Hub names only through properties.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
from dataclasses import dataclass

import httpx

from .errors import InvalidReference

DEFAULT_TAG = "latest"
DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
MAX_NAME_LENGTH = 255  # the repository path (distribution/reference)
MAX_REGISTRY_LENGTH = 255  # host[:port]
MAX_TAG_LENGTH = 128

# Hostnames that all mean Docker Hub when typed by a user.
_DOCKER_HUB_ALIASES = {"", DOCKER_HUB, "index.docker.io", DOCKER_HUB_API}

# Upstream writes the separator as ``[-]*``; ``-+`` accepts the same language
# but cannot backtrack exponentially on long invalid input.
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_DOMAIN_LABEL = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_DOMAIN = re.compile(rf"(?:{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})*|\[[A-Fa-f0-9:]+\])(?::[0-9]+)?")
# The tag grammar of the whole project (models, services, CLI), matched whole
# with fullmatch. Go's \w is ASCII-only, Python's is not: spell the classes out.
TAG_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:([0-9A-Fa-f]{32,})")
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_BARE_IMAGE_ID = re.compile(r"[a-f0-9]{64}")
# Hosts that HTTP clients read as dotted IPv4 addresses (httpx refuses them
# unless they are canonical: 0177.0.0.1 or 256.1.1.1 would fail every request).
_DOTTED_QUAD = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_HOST_AND_PORT = re.compile(r"(?P<host>\[[^\]]*\]|[^:]*)(?::(?P<port>[0-9]+))?")
MAX_PORT = 65535


@dataclass(frozen=True)
class ImageReference:
    """A parsed reference. Fields hold the text as typed."""

    registry: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def registry_host(self) -> str:
        """Registry host with Docker Hub aliases folded into ``docker.io``."""
        host = self.registry.lower()
        return DOCKER_HUB if host in _DOCKER_HUB_ALIASES else host

    @property
    def api_host(self) -> str:
        """Host that serves the /v2/ API (Docker Hub's differs from its name)."""
        host = self.registry_host
        return DOCKER_HUB_API if host == DOCKER_HUB else host

    @property
    def repository(self) -> str:
        """Repository path as the registry API expects it."""
        if self.registry_host == DOCKER_HUB and "/" not in self.path:
            return f"library/{self.path}"
        return self.path

    @property
    def typed_repository(self) -> str:
        return f"{self.registry}/{self.path}" if self.registry else self.path

    def exact(self) -> str:
        """The most specific pull spec, as OpenShift's ``Exact()`` builds it."""
        if self.digest:
            return f"{self.typed_repository}@{self.digest}"
        if self.tag:
            return f"{self.typed_repository}:{self.tag}"
        return self.typed_repository

    def pull_spec(self) -> str:
        """What is actually pulled: like ``exact()`` but with the default tag filled in.

        Used in error messages so users see ``mysql:latest`` rather than ``mysql``.
        """
        if self.digest:
            return self.exact()
        return f"{self.typed_repository}:{self.tag or DEFAULT_TAG}"

    @property
    def manifest_reference(self) -> str:
        """The last URL segment of a manifest request: digest, else tag."""
        return self.digest or self.tag or DEFAULT_TAG

    def with_digest(self, digest: str) -> ImageReference:
        """Pin to ``digest``. The tag is kept for display; requests use the digest."""
        _check_digest(digest)
        return dataclasses.replace(self, digest=digest)

    def with_tag(self, tag: str) -> ImageReference:
        """Point at ``tag``. Any digest is dropped, or it would win over the tag."""
        _check_tag(tag)
        return dataclasses.replace(self, tag=tag, digest=None)

    def without_tag(self) -> ImageReference:
        return dataclasses.replace(self, tag=None)

    def __str__(self) -> str:
        text = self.typed_repository
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def is_digest(text: str) -> bool:
    """True for a well-formed digest of a supported algorithm (``sha256:<64 hex>``)."""
    try:
        _check_digest(text)
    except InvalidReference:
        return False
    return True


def parse_reference(text: str) -> ImageReference:
    """Parse ``[registry/]path[:tag][@digest]`` or raise InvalidReference."""
    _check_overall_shape(text)
    name_and_tag, _, digest = text.partition("@")
    if "@" in text:
        _check_digest(digest, reference=text)
    name, tag = _split_tag(name_and_tag)
    if tag is not None:
        _check_tag(tag, reference=text)
    registry, path = _split_registry(name)
    if registry:
        _check_registry(registry, reference=text)
    _check_path(path, reference=text)
    parsed = ImageReference(
        registry=registry, path=path, tag=tag, digest=digest if "@" in text else None
    )
    # distribution/reference limits the path without the registry host, as
    # requested from the registry (Docker Hub's `library/` included).
    if len(parsed.repository) > MAX_NAME_LENGTH:
        raise InvalidReference(
            f'invalid image reference "{text}": the repository path is '
            f"{len(parsed.repository)} characters long, the maximum is {MAX_NAME_LENGTH}"
        )
    return parsed


def _check_overall_shape(text: str) -> None:
    if not text:
        raise InvalidReference("invalid image reference: the reference is empty")
    if any(char.isspace() for char in text):
        raise InvalidReference(f'invalid image reference "{text}": it contains whitespace')
    if text.count("@") > 1:
        raise InvalidReference(f'invalid image reference "{text}": it contains more than one "@"')
    if _BARE_IMAGE_ID.fullmatch(text):
        # Docker refuses these because they are indistinguishable from image IDs.
        raise InvalidReference(
            f'invalid image reference "{text}": a repository name cannot be a '
            "64-character hexadecimal string"
        )


def _split_tag(name_and_tag: str) -> tuple[str, str | None]:
    # The tag colon is the last one after the last slash; earlier colons
    # belong to a registry port (``localhost:5000/app:1``).
    colon = name_and_tag.rfind(":")
    if colon > name_and_tag.rfind("/"):
        return name_and_tag[:colon], name_and_tag[colon + 1 :]
    return name_and_tag, None


def _split_registry(name: str) -> tuple[str, str]:
    # Docker's rule (distribution/reference's normalised parsing): a first
    # component with a dot, a port, uppercase letters, or `localhost` is a host.
    first, slash, rest = name.partition("/")
    looks_like_host = "." in first or ":" in first or first == "localhost" or first != first.lower()
    if slash and looks_like_host:
        return first, rest
    return "", name


def _check_registry(registry: str, *, reference: str) -> None:
    problem = _registry_problem(registry)
    if problem:
        raise InvalidReference(f'invalid image reference "{reference}": {problem}')


@functools.lru_cache(maxsize=4096)
def _registry_problem(registry: str) -> str:
    """Why ``registry`` is not a valid registry host, or "". Cached: a worker
    parses the same few hosts for every scheduled check."""
    where = f'"{registry}" is not a valid registry host'
    if len(registry) > MAX_REGISTRY_LENGTH:
        # DNS names have at most 253 characters; this bound also keeps every
        # stored registry column large enough.
        return (
            f"the registry host is {len(registry)} characters long, "
            f"the maximum is {MAX_REGISTRY_LENGTH}"
        )
    if not _DOMAIN.fullmatch(registry):
        return f"{where} (expected a hostname or IP address with an optional :port)"
    parts = _HOST_AND_PORT.fullmatch(registry)
    assert parts is not None  # every host _DOMAIN accepts has this shape
    host, port = parts.group("host"), parts.group("port")
    if port is not None and not 0 < int(port) <= MAX_PORT:
        return f"{where} (the port must be between 1 and {MAX_PORT})"
    if _DOTTED_QUAD.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return (
                f'{where} ("{host}" is not an IPv4 address: four numbers from 0 to 255, '
                "without leading zeros)"
            )
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return f'{where} ("{host}" is not an IPv6 address)'
    try:
        # What the grammar lets through must also be a host the HTTP client
        # accepts; otherwise every request would fail, and no import could end.
        httpx.URL(f"https://{registry}/").host  # noqa: B018
    except (httpx.InvalidURL, ValueError) as exc:
        return f"{where} (the HTTP client refuses it: {exc})"
    return ""


def _check_path(path: str, *, reference: str) -> None:
    if not path:
        raise InvalidReference(f'invalid image reference "{reference}": the repository is empty')
    for component in path.split("/"):
        if not component:
            raise InvalidReference(
                f'invalid image reference "{reference}": the repository has an empty path '
                "component (check for a doubled or trailing '/')"
            )
        if _PATH_COMPONENT.fullmatch(component):
            continue
        if _PATH_COMPONENT.fullmatch(component.lower()):
            raise InvalidReference(
                f'invalid image reference "{reference}": the repository must be lowercase '
                f'("{component}" contains uppercase letters)'
            )
        raise InvalidReference(
            f'invalid image reference "{reference}": "{component}" is not a valid path '
            "component (use lowercase letters and digits, separated by '.', '_', '__' or '-')"
        )


def _check_tag(tag: str, *, reference: str | None = None) -> None:
    where = f'invalid image reference "{reference}": ' if reference else ""
    if not tag:
        raise InvalidReference(f"{where}the tag is empty")
    if len(tag) > MAX_TAG_LENGTH:
        raise InvalidReference(
            f"{where}the tag is {len(tag)} characters long, the maximum is {MAX_TAG_LENGTH}"
        )
    if not TAG_NAME.fullmatch(tag):
        raise InvalidReference(
            f'{where}the tag "{tag}" is invalid (use letters, digits, "_", "." and "-", '
            'and do not start with "." or "-")'
        )


def _check_digest(digest: str, *, reference: str | None = None) -> None:
    where = f'invalid image reference "{reference}": ' if reference else ""
    match = _DIGEST.fullmatch(digest)
    if not match:
        raise InvalidReference(
            f'{where}"{digest}" is not a valid digest (expected algorithm:hex, '
            "e.g. sha256: followed by 64 hexadecimal characters)"
        )
    algorithm, hex_part = digest.split(":", 1)[0], match.group(1)
    expected_length = _DIGEST_HEX_LENGTHS.get(algorithm)
    if expected_length is None:
        raise InvalidReference(f'{where}unsupported digest algorithm "{algorithm}"')
    if len(hex_part) != expected_length or hex_part != hex_part.lower():
        raise InvalidReference(
            f'{where}"{digest}" is not a valid {algorithm} digest (expected '
            f"{expected_length} lowercase hexadecimal characters)"
        )
