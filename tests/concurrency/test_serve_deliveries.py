"""Trigger deliveries on the README's run command (SQLite, filesystem broker):
30 tag moves made at the same moment through the API, one trigger watching
them; each delivery reaches the receiver exactly once.

Duplicates came from workers that hit "database is locked" while recording a
send the receiver had already answered; the sweep then sent it again."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import pytest

from tests.concurrency.burst import PROJECT, assert_clean_log
from tests.serving import shell, wait_for

pytestmark = pytest.mark.registry

CHANGES = 30
DELIVERY_HEADER = "x-imagestreams-delivery"  # the receiver lower-cases names


@pytest.fixture
def serve_env() -> dict[str, str]:
    return {"IMAGESTREAMS_TRIGGER_ALLOW_PRIVATE_ADDRESSES": "1"}


def api_client(served) -> httpx.Client:
    created = httpx.post(
        f"{served.url}/api/v1/tokens",
        json={"name": "deliveries"},
        auth=("admin", served.admin_password()),
        timeout=60,
    )
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    return httpx.Client(
        base_url=served.url, headers={"Authorization": f"Bearer {token}"}, timeout=120
    )


def tag_together(api: httpx.Client, count: int) -> list[str]:
    """`count` tag requests released at one moment; the failures, described."""
    barrier = threading.Barrier(count)
    failures: list[str] = []

    def move(n: int) -> None:
        barrier.wait()
        try:
            response = api.post(
                f"/api/v1/projects/{PROJECT}/tag",
                json={"source": "base:1", "destinations": [f"watched:t{n}"]},
            )
        except httpx.HTTPError as exc:
            failures.append(f"watched:t{n} -> {exc!r}")
            return
        if response.status_code != 200:
            failures.append(f"watched:t{n} -> {response.status_code} {response.text}")

    threads = [threading.Thread(target=move, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return failures


def delivery_states(served) -> Counter:
    out = shell(
        served.env,
        "from triggers.models import Delivery\n"
        "for d in Delivery.objects.filter(kind='change'): print(d.status, d.attempts)",
    )
    return Counter(line for line in out.splitlines() if line)


def test_each_delivery_is_sent_once(served, receiver, registry, pusher, unique_repo):
    pushed = pusher(registry).push_image(unique_repo, "1")
    with api_client(served) as api:
        imported = api.post(
            f"/api/v1/projects/{PROJECT}/imports",
            json={"target": "base:1", "from": pushed.reference, "confirm": True, "insecure": True},
        )
        assert imported.status_code == 200, imported.text
        shell(
            served.env,
            "from imagestreams.access import acting_system\n"
            "from imagestreams.models import Project\n"
            "from triggers.services.triggers import trigger_create\n"
            f"trigger_create(project=Project.objects.get(name='{PROJECT}'), name='deploy', "
            f"stream='watched', url='{receiver.url}/hook', by=acting_system('command'))",
        )
        failures = tag_together(api, CHANGES)
    assert not failures, "\n".join(failures) + "\n--- server log\n" + served.output()[-6000:]

    # Every delivery finished: none is left for the sweep to send again.
    done = Counter({"succeeded 1": CHANGES})
    states: list[Counter] = []

    def all_sent_once() -> bool:
        states[:] = [delivery_states(served)]
        return states[0] == done

    try:
        wait_for(all_sent_once, 300, "every delivery to succeed once")
    except BaseException:
        raise AssertionError(
            f"deliveries (status attempts): {states}; {len(receiver.requests)} received\n"
            + served.output()[-6000:]
        ) from None
    ids = Counter(request.headers.get(DELIVERY_HEADER) for request in receiver.requests)
    assert len(ids) == CHANGES
    assert [id_ for id_, seen in ids.items() if seen > 1] == []
    assert_clean_log(served.output())
