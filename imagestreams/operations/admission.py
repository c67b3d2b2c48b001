"""Where services enforce the registries allowed for import and the
blocked registries, with the messages OpenShift gives in the same places.

Like OpenShift, the list is checked when someone asks for an image: an
import (ImageStreamImport) and a tag spec written with an external source.
Imports the service runs on its own for specs already admitted (scheduled
checks, the reconcile loop) are not re-checked, and a spec may keep a pull
spec its stream already had. A blocked registry is refused even then.
"""

from __future__ import annotations

from django.db.models import Q

from imagestreams.image_config import ImageConfig, image_config
from imagestreams.models import Tag, TagEvent
from imagestreams.models.streams import SourceKind
from imagestreams.operations.registries import (
    INSECURE,
    SECURE,
    registry_host_port,
    transport_for,
)
from imagestreams.registry.errors import InvalidReference
from imagestreams.registry.reference import ImageReference, parse_reference
from imagestreams.services.errors import InvalidInput


def check_import_source(
    ref: ImageReference, *, insecure: bool, field: str = "from", config: ImageConfig | None = None
) -> None:
    """`import-image` of `ref`: OpenShift's ImageStreamImport validation
    (`config`: the operator's settings, when the caller checks many sources)."""
    if config is None:
        config = image_config()
    blocked = config.blocklist().refusal(ref, INSECURE if insecure else SECURE)
    if blocked:
        raise InvalidInput(
            f'importing images from registry "{ref.registry or "docker.io"}" is forbidden: '
            f"{blocked}",
            field=field,
        )
    whitelist = config.whitelist()
    if whitelist is None:
        return
    host, port = registry_host_port(ref.registry, insecure=insecure)
    hostname = f"{host}:{port}"
    refusal = whitelist.admit_hostname(hostname, SECURE)
    if refusal:
        raise InvalidInput(
            f'importing images from registry "{hostname}" is forbidden: {refusal}', field=field
        )


def check_tag_source(
    pull_spec: str, *, insecure: bool, project: str, stream: str, field: str = "source"
) -> None:
    """A tag spec pointing at the external image `pull_spec` in
    `project/stream`; pull specs the stream already has stay allowed."""
    config = image_config()
    whitelist = config.whitelist()
    blocklist = config.blocklist()
    if whitelist is None and not blocklist:
        return
    try:
        ref = parse_reference(pull_spec)
    except InvalidReference:
        return  # the tag service reports the bad reference itself
    transport = transport_for(insecure or _stream_insecure(project, stream))
    blocked = blocklist.refusal(ref, transport)
    if blocked:
        raise InvalidInput(blocked, field=field)
    if whitelist is None:
        return
    refusal = whitelist.admit_reference(ref, transport)
    if refusal and not _already_in_stream(pull_spec, project, stream):
        raise InvalidInput(refusal, field=field)


def _stream_insecure(project: str, stream: str) -> bool:
    from imagestreams.models import ImageStream

    found = ImageStream.objects.filter(project__name=project, name=stream).first()
    return bool(found and found.insecure)


def _already_in_stream(pull_spec: str, project: str, stream: str) -> bool:
    in_spec = Tag.objects.filter(
        stream__project__name=project,
        stream__name=stream,
        from_kind=SourceKind.DOCKER_IMAGE,
        from_name=pull_spec,
    )
    in_history = TagEvent.objects.filter(
        Q(docker_image_reference=pull_spec),
        tag__stream__project__name=project,
        tag__stream__name=stream,
    )
    return in_spec.exists() or in_history.exists()
