from __future__ import annotations

import pytest

from imagestreams.access import acting_system
from imagestreams.services.import_image import ImportImageRequest, import_image
from tests.factories import ProjectFactory


@pytest.fixture
def project(db):
    return ProjectFactory(name="team")


@pytest.fixture
def run_import(project):
    """`run_import("app:1", from_image=..., confirm=True)` with the insecure flag
    set, since the test registries speak plain HTTP."""

    def run(target: str, *, project=project, **options):
        options.setdefault("insecure", True)
        return import_image(
            project=project,
            request=ImportImageRequest(target=target, **options),
            by=acting_system(),
        )

    return run
