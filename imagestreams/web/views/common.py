"""Access for the web views: the project, plus what the user may do there
(to show only the actions that will be allowed)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from imagestreams.access import project_for, role_allows, role_in, stream_for
from imagestreams.models import ImageStream, Project, Tag
from imagestreams.selectors.tags import tag_get
from imagestreams.web.http import WebRequest


@dataclass(frozen=True)
class Perms:
    role: str | None  # None: not a member, sees a stream through a share

    def _allows(self, action: str) -> bool:
        return role_allows(self.role, action)

    @property
    def shared(self) -> bool:
        """Seen through a share: read-only, and the project itself stays hidden."""
        return self.role is None

    @property
    def edit(self) -> bool:
        return self._allows("edit")

    @property
    def triggers(self) -> bool:
        return self._allows("triggers")

    @property
    def admin(self) -> bool:
        return self._allows("admin")


def project_access(request: WebRequest, name: str, action: str = "view") -> tuple[Project, Perms]:
    """The project if the user may do `action` there (NotFound/Forbidden otherwise)."""
    project = project_for(request.user, name, action)
    return project, Perms(role=role_in(request.user, project))


def stream_access(
    request: WebRequest, project_name: str, stream_name: str, action: str = "view"
) -> tuple[Project, Perms, ImageStream]:
    """The stream if the user may do `action` on it: members by their role,
    others through a share (view only)."""
    stream = stream_for(request.user, project_name, stream_name, action)
    return stream.project, Perms(role=role_in(request.user, stream.project)), stream


def tag_access(
    request: WebRequest, project_name: str, stream_name: str, tag_name: str, action: str = "view"
) -> tuple[Project, Perms, ImageStream, Tag]:
    project, perms, stream = stream_access(request, project_name, stream_name, action)
    tag = tag_get(stream=stream, name=tag_name)
    tag.stream = stream
    return project, perms, stream, tag


def stream_url(stream: ImageStream, anchor: str = "") -> str:
    url = reverse("web:stream", args=[stream.project.name, stream.name])
    return f"{url}#tag-{anchor}" if anchor else url


def tag_url(tag: Tag) -> str:
    stream = tag.stream
    return reverse("web:tag", args=[stream.project.name, stream.name, tag.name])
