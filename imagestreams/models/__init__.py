from __future__ import annotations

from imagestreams.models.access import ApiToken, Membership, Role
from imagestreams.models.changes import TagChange
from imagestreams.models.credentials import RegistryCredential
from imagestreams.models.images import Image, ImageManifest
from imagestreams.models.operations import OperatorSettings
from imagestreams.models.projects import Project
from imagestreams.models.pushes import RegistryEvent
from imagestreams.models.streams import ImageStream, Tag, TagEvent
from imagestreams.models.teams import AuditEvent, ServiceAccount, Share

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Image",
    "ImageManifest",
    "ImageStream",
    "Membership",
    "OperatorSettings",
    "Project",
    "RegistryCredential",
    "RegistryEvent",
    "Role",
    "ServiceAccount",
    "Share",
    "Tag",
    "TagChange",
    "TagEvent",
]
