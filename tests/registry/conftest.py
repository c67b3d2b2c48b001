from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from imagestreams.registry import RegistryClient
from tests.registry.fakes import FakeRegistry


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def make_client(registry: FakeRegistry) -> Iterator[Callable[..., RegistryClient]]:
    """Build clients wired to the fake registry; closed after the test."""
    clients: list[RegistryClient] = []

    def build(**kwargs: object) -> RegistryClient:
        kwargs.setdefault("transport", registry.transport())
        client = RegistryClient(**kwargs)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()
