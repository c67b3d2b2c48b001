"""OpenShift's allowedRegistriesForImport rules, on their own (no database)."""

from __future__ import annotations

import pytest

from imagestreams.operations.registries import (
    ANY,
    INSECURE,
    SECURE,
    InvalidLocation,
    RegistryLocation,
    RegistryWhitelist,
    parse_locations,
)
from imagestreams.registry.reference import parse_reference


def whitelist(*domains: str, insecure: bool = False, internal: str = "") -> RegistryWhitelist:
    locations = [RegistryLocation(domain, insecure) for domain in domains]
    return RegistryWhitelist(locations, internal_registry=internal)


SECURE_LIST = ("localhost:5000", "docker.io", "example.com:*", "registry.com:80")
SECURE_REFUSAL = (
    'not allowed by whitelist: "localhost:5000", "docker.io:443", "example.com:*", '
    '"registry.com:80"'
)


@pytest.mark.parametrize(
    ("hostname", "allowed"),
    [
        ("example.com:5000", True),
        ("example.com:80", True),
        ("example.com", True),
        ("localhost:5000", True),
        ("registry-1.docker.io:443", True),  # Docker Hub's API host is docker.io
        ("index.docker.io", True),
        ("registry.com:80", True),
        ("localhost:443", False),
        ("registry.com:443", False),
        ("registry.com", False),  # no port means 443 over TLS
        ("registry.example.com", False),
    ],
)
def test_hosts_and_ports_match_like_openshift(hostname, allowed):
    refusal = whitelist(*SECURE_LIST).admit_hostname(hostname, SECURE)
    if allowed:
        assert refusal is None
    else:
        assert refusal == f'registry "{hostname}" {SECURE_REFUSAL}'


def test_wildcards_match_any_run_of_characters_but_not_the_bare_domain():
    rules = whitelist("*.foo.com", "*domain.ltd", insecure=True)
    for host in ("registry.foo.com", "a.b.c.d.foo.com:80", "domain.ltd", "my.domain.ltd:80"):
        assert rules.admit_hostname(host, INSECURE) is None, host
    for host in ("foo.com", "ffoo.com", "my.domain.ltd:443"):
        assert rules.admit_hostname(host, INSECURE) is not None, host


def test_question_marks_match_one_character():
    rules = whitelist("registry-??.example.com")
    assert rules.admit_hostname("registry-eu.example.com", SECURE) is None
    assert rules.admit_hostname("registry-eu1.example.com", SECURE) is not None


def test_star_alone_means_any_host_on_the_default_port():
    rules = whitelist("*")
    assert rules.admit_hostname("quay.io", SECURE) is None
    assert rules.admit_hostname("localhost:443", SECURE) is None
    assert rules.admit_hostname("localhost:5000", SECURE) == (
        'registry "localhost:5000" not allowed by whitelist: "*:443"'
    )
    assert whitelist("*:*").admit_hostname("localhost:5000", SECURE) is None


def test_insecure_entries_and_imports_use_port_80():
    rules = whitelist("*", insecure=True)
    assert rules.admit_hostname("localhost:80", INSECURE) is None
    assert rules.admit_hostname("localhost", INSECURE) is None
    assert rules.admit_hostname("localhost:443", INSECURE) == (
        'registry "localhost:443" not allowed by whitelist: "*:80"'
    )


def test_a_reference_without_port_matches_either_default_port_when_insecure():
    rules = whitelist("registry.com:80", "*.foo.com")
    assert rules.admit_reference(parse_reference("registry.com/app:1"), ANY) is None
    assert rules.admit_reference(parse_reference("a.foo.com/app:1"), ANY) is None
    refusal = rules.admit_reference(parse_reference("registry.com:443/app:1"), ANY)
    assert refusal.startswith('registry "registry.com:443" not allowed')


def test_docker_hub_references_without_registry_are_shown_with_their_port():
    refusal = whitelist("quay.io").admit_reference(parse_reference("busybox"), SECURE)
    assert refusal == 'registry "docker.io:443" not allowed by whitelist: "quay.io:443"'
    assert whitelist("docker.io").admit_reference(parse_reference("busybox"), SECURE) is None


def test_long_lists_are_cut_after_four_entries():
    rules = whitelist("a.io", "b.io", "c.io", "d.io", "e.io", "f.io")
    assert rules.admit_hostname("x.io", SECURE) == (
        'registry "x.io" not allowed by whitelist: "a.io:443", "b.io:443", "c.io:443", '
        '"d.io:443", and 2 more ...'
    )


def test_the_integrated_registry_is_always_allowed_and_listed_first():
    rules = whitelist("quay.io", internal="registry.local:5000")
    assert rules.admit_hostname("registry.local:5000", SECURE) is None
    assert rules.admit_hostname("evil.example.com", SECURE) == (
        'registry "evil.example.com" not allowed by whitelist: "registry.local:5000", "quay.io:443"'
    )


def test_an_empty_list_has_its_own_message():
    assert whitelist().admit_hostname("example.com", SECURE) == (
        'registry "example.com" not allowed by empty whitelist'
    )


def test_entries_are_read_one_per_line_or_comma():
    assert parse_locations("quay.io\n registry.local:5000, legacy.local insecure\n\n") == [
        RegistryLocation("quay.io"),
        RegistryLocation("registry.local:5000"),
        RegistryLocation("legacy.local", insecure=True),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0:1:2:3", 'failed to parse allowed registry "0:1:2:3": too many colons'),
        ("https://quay.io", '"https://quay.io" is not a registry host'),
        ("quay.io/org", '"quay.io/org" is not a registry host'),
        ("quay.io secure", '"quay.io secure" is not a registry'),
    ],
)
def test_malformed_entries_are_refused_with_the_reason(text, message):
    with pytest.raises(InvalidLocation) as raised:
        parse_locations(text)
    assert str(raised.value).startswith(message)
