from __future__ import annotations

import pytest

from imagestreams.access import acting_system
from imagestreams.services.tagging import tag_set
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory
from tests.registry_lab.net import REQUEST_TIMEOUT
from tests.triggers.gitremote import HttpsRemote, SshRemote
from tests.triggers.outbox import fan_out
from triggers.models import Delivery
from triggers.services.triggers import trigger_create


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    # Receivers run on loopback; retries are immediate unless a test says otherwise.
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = True
    settings.TRIGGER_RETRY_BASE_SECONDS = 0
    settings.TRIGGER_TIMEOUT = REQUEST_TIMEOUT
    settings.TRIGGER_MAX_ATTEMPTS = 4
    return settings


@pytest.fixture
def make_trigger(team, receiver):
    """`make_trigger(stream="app", tag="1", **options)`: a JSON webhook to the receiver."""

    def make(*, name: str = "hook", stream: str = "app", tag: str = "", **options):
        options.setdefault("url", f"{receiver.url}/hook")
        options.setdefault("secret", "s3cret")
        return trigger_create(
            project=team, name=name, stream=stream, tag=tag, **options, by=acting_system()
        )

    return make


@pytest.fixture
def change(team, django_capture_on_commit_callbacks):
    """`change(n)`: moves team/app:1 to a new image and fans the change out;
    returns the deliveries it wrote (their send tasks are left unsent, as if
    the enqueue was lost)."""
    stream = StreamFactory(project=team, name="base")

    def make(n: int = 1) -> list[Delivery]:
        TagEventFactory(tag=TagFactory(stream=stream, name=f"v{n}"), image=ImageFactory())
        with django_capture_on_commit_callbacks():
            tag_set(project=team, source=f"base:v{n}", destinations=["app:1"], by=acting_system())
            fan_out()
        return list(Delivery.objects.filter(change__serial=n).order_by("trigger__name"))

    return make


@pytest.fixture
def base(team):
    """(Git write-back tests) team/base with tags 1 and 2 pointing at two
    different images, sha256:111… and sha256:222…"""
    stream = StreamFactory(project=team, name="base")
    for name in ("1", "2"):
        image = ImageFactory(digest="sha256:" + name * 64)
        TagEventFactory(tag=TagFactory(stream=stream, name=name), image=image)
    return stream


@pytest.fixture
def api(editor_api, django_capture_on_commit_callbacks):
    """The editor's API client; after-commit work (delivering) runs as in production."""

    class Api:
        def call(self, method: str, path: str, data: dict | None = None, status: int = 200):
            with django_capture_on_commit_callbacks(execute=True):
                response = getattr(editor_api, method)(
                    f"/api/v1/projects/team/{path}", data, format="json"
                )
            assert response.status_code == status, response.json()
            return response.json() if response.content else None

        def post(self, path: str, data: dict | None = None, status: int = 200):
            return self.call("post", path, data or {}, status)

        def get(self, path: str):
            return self.call("get", path)

    return Api()


@pytest.fixture
def remote(request, git_server) -> HttpsRemote | SshRemote:
    """(Git write-back tests) how triggers reach `git_server`'s repository "deploy":
    over HTTPS, or as the test's `@over_https_and_ssh` parameter says."""
    if getattr(request, "param", "https") == "ssh":
        return SshRemote(git_server, request.getfixturevalue("ssh_server"))
    return HttpsRemote(git_server)


@pytest.fixture
def write_back(api, remote):
    """`write_back(updates, tag="prod", name="gitops", **options)`: a Git write-back
    trigger on app:<tag> to the `remote` repository."""

    def make(updates: list[dict], *, tag: str = "prod", name: str = "gitops", **options):
        body = {"name": name, "stream": "app", "tag": tag, "preset": "git"}
        return api.post("triggers", body | remote.destination(updates=updates, **options), 201)

    return make
