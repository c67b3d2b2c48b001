"""The burst from the "database is locked" report: 16 `import-image --confirm`
into new streams at the same moment, then 16 `tag <registry image> one:xN`
into one stream at the same moment. Interfaces (the CLI, the API) run it;
this module says what is pushed and what must exist afterwards."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from tests.serving import wait_for

BURST = 16
SHARED_STREAM = "shared"
PROJECT = "default"


@dataclass(frozen=True)
class Burst:
    registry_host: str
    repository: str
    digests: dict[int, str]  # n -> digest of <repository>:t<n>

    def source(self, n: int) -> str:
        return f"{self.registry_host}/{self.repository}:t{n}"

    def expected(self) -> dict[str, str]:
        """`stream:tag` -> digest, for every tag the burst makes."""
        imported = {f"imported-{n}:latest": self.digests[n] for n in self.digests}
        tagged = {f"{SHARED_STREAM}:x{n}": self.digests[n] for n in self.digests}
        return imported | tagged


def push_burst_images(pusher, registry, repository: str) -> Burst:
    """BURST different images, tagged t1..tN in one repository."""
    client = pusher(registry)
    digests = {
        n: client.push_image(repository, f"t{n}", text=f"burst image {n}").digest
        for n in range(1, BURST + 1)
    }
    return Burst(registry_host=client.host, repository=repository, digests=digests)


def current_tags(api: httpx.Client, project: str = PROJECT) -> dict[str, str]:
    """`stream:tag` -> digest of every tag that has an image, read through the API."""
    found: dict[str, str] = {}
    url = f"/api/v1/projects/{project}/imagestreamtags"
    params = {"page_size": 500, "page": 1}
    while True:
        response = api.get(url, params=params)
        response.raise_for_status()
        page = response.json()
        found.update({item["name"]: item["image"]["digest"] for item in page["results"]})
        if not page.get("next"):
            return found
        params["page"] += 1


def wait_for_all_tags(api: httpx.Client, burst: Burst, timeout: float = 300) -> dict[str, str]:
    """The tags once every expected one has an image (tags from `tag` are
    imported by the worker after the request), or a failure naming the missing."""
    expected = burst.expected()
    seen: dict[str, str] = {}

    def complete() -> bool:
        seen.clear()
        seen.update(current_tags(api))
        return expected.keys() <= seen.keys()

    try:
        wait_for(complete, timeout, "every tag of the burst to have its image")
    except BaseException as stopped:
        # Say why the wait ended (the deadline, or a dead server), not only what is missing.
        missing = sorted(expected.keys() - seen.keys())
        raise AssertionError(f"tags missing after the burst: {missing} ({stopped!r})") from stopped
    return seen


def assert_clean_log(text: str) -> None:
    problems = [
        line
        for line in text.splitlines()
        if "database is locked" in line or "Traceback" in line or "OperationalError" in line
    ]
    assert not problems, "the server log shows errors:\n" + text[-6000:]
