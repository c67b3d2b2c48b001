"""Reads of tags: current image, pull specs, history."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from imagestreams.access import viewable_sql
from imagestreams.models import Image, ImageStream, Project, Tag, TagEvent
from imagestreams.models.streams import ReferencePolicy, repository_of
from imagestreams.services.errors import NotFound


@dataclass(frozen=True)
class ResolvedTag:
    project: str
    stream: str
    tag: str
    pull_spec: str
    digest: str
    reference_policy: str


def tag_get(*, stream: ImageStream, name: str) -> Tag:
    tag = Tag.objects.select_related("stream__project").filter(stream=stream, name=name).first()
    if tag is None:
        raise NotFound(f'image stream tag "{stream.name}:{name}" not found', field="tag")
    return tag


def tag_history(*, tag: Tag) -> list[TagEvent]:
    return list(tag.events.select_related("image"))


def pull_spec_for(tag: Tag, event: TagEvent) -> str:
    """OpenShift's ResolveLatestTaggedImage: Local policy pulls through the
    integrated registry, Source uses the recorded reference."""
    stream = tag.stream
    return _pull_spec(
        repository_of(stream.project.name, stream.name),
        tag.reference_policy,
        event.docker_image_reference,
        event.digest,
    )


def _pull_spec(repository: str, policy: str, reference: str, digest: str) -> str:
    if policy == ReferencePolicy.LOCAL and repository and digest:
        return f"{repository}@{digest}"
    return reference


def tag_resolve(*, stream: ImageStream, name: str) -> ResolvedTag:
    """The pull spec by digest that consumers of `stream:name` should use."""
    tag = tag_get(stream=stream, name=name)
    event = tag.events.select_related("image").first()
    if event is None or event.image is None:
        raise NotFound(
            f'image stream tag "{stream.name}:{name}" does not point to an image yet', field="tag"
        )
    return ResolvedTag(
        project=stream.project.name,
        stream=stream.name,
        tag=tag.name,
        pull_spec=pull_spec_for(tag, event),
        digest=event.image.digest,
        reference_policy=tag.reference_policy,
    )


def tag_resolve_visible(*, principal, project: str, stream: str, name: str) -> ResolvedTag | None:
    """tag_resolve in one statement, for a tag that `principal` may view and
    that points to an image; None otherwise (stream_for and tag_resolve then
    say which error applies). Plain SQL: the ORM spent more time building
    this query than the database answering it, on the API's hottest path."""
    visible, visible_params = viewable_sql(principal, "s")
    sql = (
        "SELECT t.reference_policy, e.docker_image_reference, i.digest "
        f"FROM {Tag._meta.db_table} t "
        f"JOIN {ImageStream._meta.db_table} s ON s.id = t.stream_id "
        f"JOIN {Project._meta.db_table} p ON p.id = s.project_id "
        f"JOIN {TagEvent._meta.db_table} e ON e.id = "
        f"(SELECT MAX(e2.id) FROM {TagEvent._meta.db_table} e2 WHERE e2.tag_id = t.id) "
        f"JOIN {Image._meta.db_table} i ON i.id = e.image_id "
        f"WHERE p.name = %s AND s.name = %s AND t.name = %s AND {visible}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [project, stream, name, *visible_params])
        row = cursor.fetchone()
    if row is None:
        return None
    policy, reference, digest = row
    return ResolvedTag(
        project=project,
        stream=stream,
        tag=name,
        pull_spec=_pull_spec(repository_of(project, stream), policy, reference, digest),
        digest=digest,
        reference_policy=policy,
    )
