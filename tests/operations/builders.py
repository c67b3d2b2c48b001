"""Rows of every kind, in bulk, for admin page tests."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone

from imagestreams.models import (
    ApiToken,
    AuditEvent,
    ImageManifest,
    Membership,
    RegistryCredential,
    RegistryEvent,
    ServiceAccount,
    Share,
    TagChange,
)
from imagestreams.models.access import hash_token
from tests.factories import (
    ImageFactory,
    ProjectFactory,
    StreamFactory,
    TagEventFactory,
    TagFactory,
    fake_digest,
)
from triggers.models import Delivery, DeliveryAttempt, Trigger


def populate(count: int, *, prefix: str = "p") -> None:
    """`count` projects, each with a member, a service account with a token, a
    share, credentials, a stream with a tag and two history entries (one an
    index with two platforms), a trigger with a delivery and an attempt, a
    tag change, an audit entry and a registry event."""
    users = get_user_model().objects
    for n in range(count):
        name = f"{prefix}{n}"
        project = ProjectFactory(name=name)
        user = users.create_user(f"{name}-user")
        Membership.objects.create(project=project, user=user, role="admin")
        account = ServiceAccount.objects.create(project=project, name="ci", role="editor")
        ApiToken.objects.create(
            service_account=account,
            name="pipeline",
            key_prefix=f"isk_{name}",
            key_hash=hash_token(f"account-{name}"),
        )
        ApiToken.objects.create(
            user=user, name="laptop", key_prefix=f"isk_u{name}", key_hash=hash_token(name)
        )
        credential = RegistryCredential(project=project, registry="quay.io", username="bot")
        credential.set_password("secret")
        credential.save()
        stream = StreamFactory(project=project, name="app")
        Share.objects.create(project=project, stream=stream, target_user=user)
        tag = TagFactory(stream=stream, name="1")
        TagEventFactory(tag=tag)
        index = ImageFactory(media_type="application/vnd.oci.image.index.v1+json")
        for position in range(2):
            ImageManifest.objects.create(
                parent=index, child=ImageFactory(), position=position, media_type="m"
            )
        TagEventFactory(tag=tag, image=index)
        trigger = Trigger.objects.create(
            project=project, name="deploy", stream="app", url="https://example.com/hook"
        )
        change = TagChange.objects.create(
            tag=tag,
            serial=1,
            project_name=name,
            stream_name="app",
            tag_name="1",
            digest=index.digest,
            pull_spec=f"quay.io/example/app@{index.digest}",
            cause="import",
        )
        delivery = Delivery.objects.create(trigger=trigger, change=change, status="failed")
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=1,
            started=timezone.now(),
            request_url=trigger.url,
            outcome="failure",
        )
        AuditEvent.objects.create(project=project, project_name=name, actor="x", action="a")
        RegistryEvent.objects.create(
            event_id=f"event-{name}",
            repository=f"{name}/app",
            tag="1",
            digest=fake_digest(name),
            media_type="application/vnd.oci.image.manifest.v1+json",
            timestamp=timezone.now(),
        )
