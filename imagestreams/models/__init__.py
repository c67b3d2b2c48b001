from __future__ import annotations

from imagestreams.models.access import ApiToken, Membership, Role
from imagestreams.models.credentials import RegistryCredential
from imagestreams.models.images import Image, ImageManifest
from imagestreams.models.projects import Project
from imagestreams.models.streams import ImageStream, Tag, TagEvent

__all__ = [
    "ApiToken",
    "Image",
    "ImageManifest",
    "ImageStream",
    "Membership",
    "Project",
    "RegistryCredential",
    "Role",
    "Tag",
    "TagEvent",
]
