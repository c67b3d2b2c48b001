"""The outbound guard (imagestreams.registry.netguard) for imports and webhooks.

No test sends traffic beyond this machine: "allowed" destinations are
loopback addresses that a test explicitly lets through (127.0.0.2), and the
"forbidden" ones are other loopback addresses (127.0.0.1), so that a
request that gets past the guard by mistake is seen by a local server.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from imagestreams.access import acting_system
from imagestreams.image_config import trusted_import_hosts
from imagestreams.models import Tag
from imagestreams.registry import RegistryClient, parse_reference
from imagestreams.registry.errors import Forbidden, RegistryError
from imagestreams.registry.netguard import Guard, blocked_address_in, is_internal
from imagestreams.scheduling.claims import enrol
from imagestreams.services.pushes import integrated_registry_client, push_fetch
from imagestreams.services.tagging import TagOptions, tag_set
from tests.registry_lab.net import REQUEST_TIMEOUT
from tests.reliability.conftest import INTERVAL, run_due_at
from tests.reliability.faults import FaultProxy
from triggers import transport
from triggers.payloads import OutgoingRequest

ALLOWED = "127.0.0.2"  # the one internal address the tests' guards let through
FORBIDDEN = "127.0.0.1"


class Server:
    """A tiny HTTP server on one loopback address that records requests and
    answers from `self.answer(path) -> (status, headers, body)`."""

    def __init__(self, address: str, port: int = 0) -> None:
        self.requests: list[str] = []
        self.answer = lambda path: (200, {}, b"ok")
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: pooled connections are reused

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                self._reply()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self._reply()

            def _reply(self) -> None:
                outer.requests.append(f"{self.command} {self.path}")
                status, headers, body = outer.answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer((address, port), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    started: list[Server] = []

    def start(address: str, port: int = 0) -> Server:
        server = Server(address, port)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def resolver(*answers: str):
    """A getaddrinfo stand-in answering each call with the next address (the
    last one repeats), counting calls: a rebinding DNS server."""
    calls: list[str] = []

    def resolve(host, port, *args, **kwargs):
        answer = answers[min(len(calls), len(answers) - 1)]
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port))]

    resolve.calls = calls
    return resolve


def guard(**options) -> Guard:
    return Guard.with_networks([f"{ALLOWED}/32"], **options)


# --- which addresses are internal ---------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.100.100.200",  # Alibaba metadata (carrier-grade NAT range)
        "0.0.0.0",
        "224.0.0.251",  # multicast counts as "global" for Python
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fd00:ec2::254",  # AWS metadata over IPv6
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "2002:7f00:1::",  # 6to4 around 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 around 169.254.169.254
    ],
)
def test_internal_addresses_are_recognised(address):
    assert is_internal(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "151.101.1.69", "2606:4700::1111"])
def test_public_addresses_are_not(address):
    assert not is_internal(ipaddress.ip_address(address))


PRIVATE_V4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16"]


@given(st.sampled_from(PRIVATE_V4).flatmap(lambda n: st.ip_addresses(network=n)))
def test_every_private_ipv4_address_is_internal_also_inside_ipv6(address):
    assert is_internal(address)
    assert is_internal(ipaddress.ip_address(f"::ffff:{address}"))
    assert not Guard().permits(address)
    assert Guard(allow_private=True).permits(address)


# --- the guard on connections -------------------------------------------------


def test_loopback_is_refused_before_anything_is_sent(servers):
    server = servers(FORBIDDEN)
    with (
        httpx.Client(transport=Guard().transport()) as client,
        pytest.raises(httpx.ConnectError) as exc,
    ):
        client.get(f"http://{FORBIDDEN}:{server.port}/")
    assert blocked_address_in(exc.value) is not None
    assert server.requests == []


def test_the_resolved_address_is_the_one_connected_to(servers):
    """The name resolves once, through the guard; the connection goes to the
    checked address. The system's DNS never sees the name (it could not
    resolve it anyway), and a rebinding answer for a later connection is refused."""
    allowed = servers(ALLOWED)
    forbidden = servers(FORBIDDEN, allowed.port)
    rebinding = resolver(ALLOWED, FORBIDDEN)
    url = f"http://registry.rebind.invalid:{allowed.port}/v2/"
    with httpx.Client(transport=guard(resolve=rebinding).transport()) as client:
        assert client.get(url).status_code == 200
        assert client.get(url).status_code == 200  # the pooled, checked connection
    assert rebinding.calls == ["registry.rebind.invalid"]
    assert (len(allowed.requests), forbidden.requests) == (2, [])

    with (
        httpx.Client(transport=guard(resolve=rebinding).transport()) as client,
        pytest.raises(httpx.ConnectError, match=r"resolves to the internal address 127\.0\.0\.1"),
    ):
        client.get(url)  # a new connection: resolved again, now to loopback
    assert forbidden.requests == []


def test_a_name_with_one_internal_address_among_others_is_refused(servers):
    server = servers(ALLOWED)

    def mixed(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ALLOWED, port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (FORBIDDEN, port)),
        ]

    with (
        httpx.Client(transport=guard(resolve=mixed).transport()) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.get(f"http://mixed.invalid:{server.port}/")
    assert server.requests == []


def test_every_redirect_is_checked_again(servers):
    inside = servers(FORBIDDEN)
    outside = servers(ALLOWED)
    outside.answer = lambda path: (302, {"Location": f"http://{FORBIDDEN}:{inside.port}/x"}, b"")
    transport_ = guard().transport()
    with (
        httpx.Client(transport=transport_, follow_redirects=True) as client,
        pytest.raises(httpx.ConnectError, match=r"internal address 127\.0\.0\.1"),
    ):
        client.get(f"http://{ALLOWED}:{outside.port}/v2/")
    assert outside.requests == ["GET /v2/"]
    assert inside.requests == []


def test_a_token_server_on_an_internal_address_is_refused(servers):
    """The registry answers 401 with a realm inside the network: the token
    request goes through the same guard."""
    token_server = servers(FORBIDDEN)
    registry = servers(ALLOWED)
    challenge = f'Bearer realm="http://{FORBIDDEN}:{token_server.port}/token",service="r"'
    registry.answer = lambda path: (401, {"WWW-Authenticate": challenge}, b"")
    reference = parse_reference(f"{ALLOWED}:{registry.port}/team/app:1")
    with RegistryClient(guard=guard()) as client, pytest.raises(Forbidden) as exc:
        client.head_manifest(reference, insecure=True)
    assert "internal address 127.0.0.1" in exc.value.message
    assert token_server.requests == []


# --- imports and webhooks ------------------------------------------------------


@pytest.fixture
def guarded_imports(settings):
    settings.IMPORT_ALLOW_PRIVATE_ADDRESSES = False
    settings.REGISTRY_TIMEOUT = REQUEST_TIMEOUT
    return settings


@pytest.mark.django_db
@pytest.mark.registry
def test_imports_from_internal_addresses_are_refused_unless_allowed(
    guarded_imports, registry, pusher, unique_repo, editor_api
):
    pushed = pusher(registry).push_image(unique_repo, "1")
    proxy = FaultProxy(registry.url).start()  # counts what reaches the registry
    try:
        body = {"target": "app:1", "from": f"{proxy.host}/{unique_repo}:1"}
        body |= {"confirm": True, "insecure": True}
        response = editor_api.post("/api/v1/projects/team/imports", body, format="json")
        assert response.status_code == 400, response.content
        assert "internal address 127.0.0.1" in response.json()["detail"]
        assert proxy.requests == []
        assert not Tag.objects.exists()

        guarded_imports.IMPORT_ALLOW_PRIVATE_ADDRESSES = True  # the environment allows them
        response = editor_api.post("/api/v1/projects/team/imports", body, format="json")
        assert response.status_code in (200, 201), response.content
        assert Tag.objects.get().events.get().image.digest == pushed.digest
    finally:
        proxy.close()


@pytest.mark.django_db
@pytest.mark.registry
def test_scheduled_checks_are_guarded_too(
    guarded_imports, fault_proxy, registry, pusher, unique_repo, team
):
    pusher(registry).push_image(unique_repo, "1")
    [result] = tag_set(
        project=team,
        source=f"{fault_proxy.host}/{unique_repo}:1",
        destinations=["app:1"],
        options=TagOptions(scheduled=True, insecure=True),
        by=acting_system(),
    )
    guarded_imports.SCHEDULED_INTERVAL = INTERVAL
    enrol(now=timezone.now(), interval=INTERVAL, limit=10)
    [report] = run_due_at(timezone.now() + timedelta(seconds=INTERVAL))
    assert report.failed == 1
    tag = Tag.objects.get(pk=result.tag.pk)
    assert tag.condition_reason == "Forbidden"
    assert "internal address 127.0.0.1" in tag.condition_message
    assert fault_proxy.requests == []


@pytest.mark.django_db
@pytest.mark.registry
def test_the_integrated_registry_is_trusted_on_loopback(
    guarded_imports, registry, pusher, unique_repo
):
    guarded_imports.INTEGRATED_REGISTRY_URL = registry.url
    pushed = pusher(registry).push_image("team/app", "1")
    with integrated_registry_client() as client:
        fetched = push_fetch(client, "team/app", pushed.digest)
    assert fetched.digest == pushed.digest


@pytest.mark.django_db
@pytest.mark.registry
def test_imports_from_the_integrated_registry_are_allowed_on_loopback(
    guarded_imports, registry, pusher, unique_repo, editor_api
):
    """The operator configured it: an import from it is not refused, while
    the same registry under another name (a different origin) still is."""
    pushed = pusher(registry).push_image(unique_repo, "1")
    body = {"target": "app:1", "from": f"{registry.host}/{unique_repo}:1"}
    body |= {"confirm": True, "insecure": True}
    response = editor_api.post("/api/v1/projects/team/imports", body, format="json")
    assert response.status_code == 400  # not configured as the integrated registry yet
    assert "internal address 127.0.0.1" in response.json()["detail"]

    guarded_imports.INTEGRATED_REGISTRY_URL = registry.url
    response = editor_api.post("/api/v1/projects/team/imports", body, format="json")
    assert response.status_code in (200, 201), response.content
    assert Tag.objects.get().events.get().image.digest == pushed.digest

    port = registry.host.rsplit(":", 1)[1]
    other_name = {**body, "target": "app:2", "from": f"127.0.0.2:{port}/{unique_repo}:1"}
    response = editor_api.post("/api/v1/projects/team/imports", other_name, format="json")
    assert response.status_code in (200, 201, 400), response.content
    assert "internal address 127.0.0.2" in str(response.json())


def test_the_integrated_registry_is_trusted_by_origin(settings):
    settings.INTEGRATED_REGISTRY_URL = "http://registry:5000"
    settings.INTERNAL_REGISTRY_HOSTNAME = "Images.Example.com"
    trusted = Guard(trusted_hosts=trusted_import_hosts())
    assert trusted.trusted_hosts == {
        "registry:5000",
        "images.example.com:443",
        "images.example.com:80",
    }
    assert trusted.trusts("REGISTRY", 5000)
    assert not trusted.trusts("registry", 22)  # another service on that host


def test_a_token_realm_that_is_not_a_url_is_a_clear_error(servers):
    registry = servers(ALLOWED)
    challenge = 'Bearer realm="http://0177.0.0.1/token",service="r"'
    registry.answer = lambda path: (401, {"WWW-Authenticate": challenge}, b"")
    reference = parse_reference(f"{ALLOWED}:{registry.port}/team/app:1")
    with RegistryClient(guard=guard()) as client, pytest.raises(RegistryError) as exc:
        client.head_manifest(reference, insecure=True)
    assert "invalid token server" in exc.value.message


def test_webhooks_connect_only_to_the_checked_address(servers):
    receiver = servers(ALLOWED)
    rebinding = resolver(ALLOWED, FORBIDDEN)
    inside = servers(FORBIDDEN, receiver.port)

    def send():
        request = OutgoingRequest(f"http://hooks.rebind.invalid:{receiver.port}/", b"{}")
        return transport.send(
            request, timeout=REQUEST_TIMEOUT, allow_private=False, guard=guard(resolve=rebinding)
        )

    assert send().outcome == "success"
    refused = send()
    assert refused.outcome == "failure"  # not retried: waiting will not help
    assert "resolves to the internal address 127.0.0.1" in refused.error
    assert (len(receiver.requests), inside.requests) == (1, [])
