from __future__ import annotations

from imagestreams.models.credentials import RegistryCredential
from imagestreams.models.images import Image, ImageManifest
from imagestreams.models.projects import Project
from imagestreams.models.streams import ImageStream, Tag, TagEvent

__all__ = [
    "Image",
    "ImageManifest",
    "ImageStream",
    "Project",
    "RegistryCredential",
    "Tag",
    "TagEvent",
]
