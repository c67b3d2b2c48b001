"""Reading what each registry sends when a repository is pushed to.

Formats (as documented by each registry):
- Docker Hub: ``{"push_data": {"tag"}, "repository": {"repo_name"}}``;
- Quay: ``{"docker_url": "quay.io/org/repo", "updated_tags": [...]}``;
- Harbor: ``{"type": "PUSH_ARTIFACT", "event_data": {"resources": [{"tag",
  "resource_url"}]}}``, or the CloudEvents form with ``data`` instead;
- generic: ``{"repository": "host/org/repo", "tags": [...]}`` (tags optional).
"""

from __future__ import annotations

import json

from imagestreams.registry.errors import InvalidReference
from imagestreams.registry.reference import ImageReference, parse_reference
from imagestreams.scheduling.services import RepositoryChange

DOCKER_HUB = "docker.io"
HARBOR_PUSH_TYPES = {"PUSH_ARTIFACT", "harbor.artifact.pushed"}


class UnknownFormat(ValueError):
    """The body is not what this kind of registry sends."""


def parse(kind: str, body: bytes) -> list[RepositoryChange]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise UnknownFormat("the body is not JSON") from None
    if not isinstance(document, dict):
        raise UnknownFormat("the body is not a JSON object")
    return PARSERS[kind](document)


def _dockerhub(document: dict) -> list[RepositoryChange]:
    repository = _text(_object(document, "repository"), "repo_name")
    tag = _optional_text(_object(document, "push_data"), "tag")
    return [RepositoryChange(DOCKER_HUB, repository, (tag,) if tag else ())]


def _quay(document: dict) -> list[RepositoryChange]:
    reference = _reference(_text(document, "docker_url"), "docker_url")
    tags = _tags(document.get("updated_tags") or [], "updated_tags")
    return [RepositoryChange(reference.registry, reference.path, tags)]


def _harbor(document: dict) -> list[RepositoryChange]:
    data = document["event_data"] if "event_data" in document else document.get("data")
    if not isinstance(data, dict) or not isinstance(document.get("type"), str):
        raise UnknownFormat('expected "type" and "event_data" (or "data") as Harbor sends them')
    if document["type"] not in HARBOR_PUSH_TYPES:
        return []  # scans, pulls, deletions: nothing new to import
    resources = data.get("resources")
    if not isinstance(resources, list) or not resources:
        raise UnknownFormat('a Harbor push event needs "resources"')
    tags_by_repository: dict[tuple[str, str], list[str]] = {}
    for resource in resources:
        if not isinstance(resource, dict):
            raise UnknownFormat('each of "resources" must be an object')
        reference = _reference(_text(resource, "resource_url"), "resource_url")
        tags = tags_by_repository.setdefault((reference.registry, reference.path), [])
        if tag := _optional_text(resource, "tag") or reference.tag:
            tags.append(tag)
    return [RepositoryChange(r, p, tuple(t)) for (r, p), t in tags_by_repository.items()]


def _generic(document: dict) -> list[RepositoryChange]:
    reference = _reference(_text(document, "repository"), "repository")
    tags = _tags(document.get("tags") or [], "tags")
    return [RepositoryChange(reference.registry, reference.path, tags)]


def _reference(text: str, key: str) -> ImageReference:
    try:
        reference = parse_reference(text)
    except InvalidReference as exc:
        raise UnknownFormat(f'"{key}" is not an image repository: {exc.message}') from None
    if not reference.registry:
        raise UnknownFormat(f'"{key}" must name the registry host, e.g. quay.io/org/app')
    return reference


def _object(document: dict, key: str) -> dict:
    value = document.get(key)
    if not isinstance(value, dict):
        raise UnknownFormat(f'expected an object "{key}"')
    return value


def _text(document: dict, key: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value.strip():
        raise UnknownFormat(f'expected a non-empty string "{key}"')
    return value.strip()


def _optional_text(document: dict, key: str) -> str:
    value = document.get(key)
    return value.strip() if isinstance(value, str) else ""


def _tags(value: object, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise UnknownFormat(f'"{key}" must be a list of tag names')
    return tuple(value)


PARSERS = {"dockerhub": _dockerhub, "quay": _quay, "harbor": _harbor, "generic": _generic}
