from __future__ import annotations

import dataclasses

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from imagestreams.registry import InvalidReference, is_digest, parse_reference
from imagestreams.registry.reference import DEFAULT_TAG, ImageReference

DIGEST = "sha256:" + "a" * 64
OTHER_DIGEST = "sha256:" + "b" * 64


@pytest.mark.parametrize(
    ("text", "registry", "path", "tag", "digest"),
    [
        ("python", "", "python", None, None),
        ("python:3.9", "", "python", "3.9", None),
        ("library/python:3.9-slim", "", "library/python", "3.9-slim", None),
        ("bitnami/redis:7", "", "bitnami/redis", "7", None),
        ("docker.io/python", "docker.io", "python", None, None),
        ("quay.io/org/app:1.2.3", "quay.io", "org/app", "1.2.3", None),
        ("localhost/app", "localhost", "app", None, None),
        ("localhost:5000/x/y:tag", "localhost:5000", "x/y", "tag", None),
        ("127.0.0.1:5000/x/y", "127.0.0.1:5000", "x/y", None, None),
        ("[::1]:5000/app:1", "[::1]:5000", "app", "1", None),
        ("registry.example.com:8443/a/b/c", "registry.example.com:8443", "a/b/c", None, None),
        (f"mysql@{DIGEST}", "", "mysql", None, DIGEST),
        (f"mysql:5.7@{DIGEST}", "", "mysql", "5.7", DIGEST),
        ("my-org/my_app.name__x--y:_under", "", "my-org/my_app.name__x--y", "_under", None),
        ("Registry.Example.COM/app", "Registry.Example.COM", "app", None, None),
    ],
)
def test_it_parses_valid_references(text, registry, path, tag, digest):
    ref = parse_reference(text)

    assert (ref.registry, ref.path, ref.tag, ref.digest) == (registry, path, tag, digest)
    assert str(ref) == text


@pytest.mark.parametrize(
    ("text", "host", "api_host", "repository"),
    [
        ("python", "docker.io", "registry-1.docker.io", "library/python"),
        ("docker.io/python", "docker.io", "registry-1.docker.io", "library/python"),
        ("index.docker.io/library/python", "docker.io", "registry-1.docker.io", "library/python"),
        ("bitnami/redis", "docker.io", "registry-1.docker.io", "bitnami/redis"),
        ("quay.io/python", "quay.io", "quay.io", "python"),
        ("Registry.Example.COM/app", "registry.example.com", "registry.example.com", "app"),
        ("localhost:5000/app", "localhost:5000", "localhost:5000", "app"),
    ],
)
def test_it_normalises_registry_and_docker_hub_names(text, host, api_host, repository):
    ref = parse_reference(text)

    assert ref.registry_host == host
    assert ref.api_host == api_host
    assert ref.repository == repository


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the reference is empty"),
        ("Python", "must be lowercase"),
        ("quay.io/Org/app", 'must be lowercase ("Org"'),
        ("python:", "the tag is empty"),
        ("python:-bad", 'the tag "-bad" is invalid'),
        ("python:" + "a" * 129, "129 characters long, the maximum is 128"),
        ("python@", "is not a valid digest"),
        ("python@sha256:abc", "is not a valid digest"),
        ("python@sha256:" + "a" * 40, "not a valid sha256 digest"),
        ("python@sha256:" + "A" * 64, "64 lowercase hexadecimal"),
        ("python@md5:" + "a" * 32, 'unsupported digest algorithm "md5"'),
        (f"a@{DIGEST}@{DIGEST}", 'more than one "@"'),
        ("quay.io//app", "empty path component"),
        ("quay.io/app/", "empty path component"),
        ("quay.io/", "the repository is empty"),
        (":latest", "the repository is empty"),
        ("my registry/app", "contains whitespace"),
        ("bad_host.io/app", '"bad_host.io" is not a valid registry host'),
        # Hosts the HTTP client would refuse on every request (500s, endless retries).
        ("0177.0.0.1/app:1", '"0177.0.0.1" is not an IPv4 address'),
        ("127.000.000.001:5000/app", "without leading zeros"),
        ("256.0.0.1/app", '"256.0.0.1" is not an IPv4 address'),
        ("quay.io:99999/app", "the port must be between 1 and 65535"),
        ("quay.io:0/app", "the port must be between 1 and 65535"),
        ("xn--a.example/app", "the HTTP client refuses it"),
        ("-app", '"-app" is not a valid path component'),
        ("app_", '"app_" is not a valid path component'),
        ("a/" * 128 + "b", "the maximum is 255"),
        ("a" * 64, "64-character hexadecimal"),
    ],
)
def test_it_explains_invalid_references(text, message):
    with pytest.raises(InvalidReference) as caught:
        parse_reference(text)

    assert message in caught.value.message
    assert caught.value.reason == "Invalid"
    assert not caught.value.retryable


def test_it_accepts_a_name_of_exactly_255_characters():
    name = "quay.io/" + "a" * 247

    assert parse_reference(name).path == "a" * 247


@pytest.mark.parametrize(
    ("text", "exact", "pull_spec"),
    [
        ("mysql", "mysql", "mysql:latest"),
        ("mysql:5.7", "mysql:5.7", "mysql:5.7"),
        (f"mysql:5.7@{DIGEST}", f"mysql@{DIGEST}", f"mysql@{DIGEST}"),
        ("docker.io/library/mysql:8", "docker.io/library/mysql:8", "docker.io/library/mysql:8"),
        (f"quay.io/x/y@{DIGEST}", f"quay.io/x/y@{DIGEST}", f"quay.io/x/y@{DIGEST}"),
    ],
)
def test_exact_is_the_most_specific_pull_spec_as_typed(text, exact, pull_spec):
    ref = parse_reference(text)

    assert ref.exact() == exact
    assert ref.pull_spec() == pull_spec


def test_typed_repository_keeps_what_the_user_typed():
    assert parse_reference("mysql:5.7").typed_repository == "mysql"
    assert parse_reference("docker.io/mysql:5.7").typed_repository == "docker.io/mysql"
    assert parse_reference("localhost:5000/x/y:1").typed_repository == "localhost:5000/x/y"


def test_with_digest_pins_and_keeps_the_tag_for_display():
    ref = parse_reference("mysql:5.7").with_digest(DIGEST)

    assert (ref.tag, ref.digest) == ("5.7", DIGEST)
    assert ref.exact() == f"mysql@{DIGEST}"
    assert ref.manifest_reference == DIGEST


def test_with_tag_drops_the_digest_so_the_tag_is_what_gets_fetched():
    ref = parse_reference(f"mysql:5.7@{DIGEST}").with_tag("8.0")

    assert (ref.tag, ref.digest) == ("8.0", None)
    assert ref.manifest_reference == "8.0"


def test_without_tag_keeps_the_digest():
    ref = parse_reference(f"mysql:5.7@{DIGEST}").without_tag()

    assert str(ref) == f"mysql@{DIGEST}"


def test_manifest_reference_defaults_to_latest():
    assert parse_reference("mysql").manifest_reference == DEFAULT_TAG == "latest"


def test_with_helpers_validate_their_argument():
    ref = parse_reference("mysql")

    with pytest.raises(InvalidReference):
        ref.with_digest("sha256:nothex")
    with pytest.raises(InvalidReference):
        ref.with_tag(".hidden")


def test_references_are_immutable_and_hashable():
    ref = parse_reference("mysql:5.7")

    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.tag = "8"  # type: ignore[misc]
    assert {ref, parse_reference("mysql:5.7")} == {ref}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (DIGEST, True),
        ("sha512:" + "c" * 128, True),
        ("sha256:" + "a" * 63, False),
        ("sha256:" + "A" * 64, False),
        ("latest", False),
        ("", False),
    ],
)
def test_is_digest(text, expected):
    assert is_digest(text) is expected


# -- property test: anything the grammar accepts survives parse -> str ---------

_components = st.from_regex(
    r"[a-z0-9]{1,6}(?:(?:[._]|__|-{1,2})[a-z0-9]{1,6}){0,2}", fullmatch=True
)
_registries = st.one_of(
    st.just(""),
    st.sampled_from(["localhost", "localhost:5000", "[::1]:5000", "127.0.0.1:5000"]),
    st.from_regex(
        r"[a-z0-9]{1,8}(?:-[a-z0-9]{1,8})?\.[a-z]{2,6}(?::[1-9][0-9]{0,3})?", fullmatch=True
    ),
)
_tags = st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,40}", fullmatch=True))
_digests = st.one_of(
    st.none(), st.text(alphabet="0123456789abcdef", min_size=64, max_size=64).map("sha256:".__add__)
)


@given(
    registry=_registries,
    components=st.lists(_components, min_size=1, max_size=4),
    tag=_tags,
    digest=_digests,
)
def test_valid_references_round_trip(registry, components, tag, digest):
    path = "/".join(components)
    first = components[0]
    # Without a registry, a leading component that looks like a host would be
    # read as one (Docker's rule), so such strings are not "path-only" refs.
    assume(registry or len(components) == 1 or not ("." in first or first == "localhost"))
    assume(len(f"{registry}/{path}") <= 255)
    text = str(ImageReference(registry, path, tag, digest))

    ref = parse_reference(text)

    assert str(ref) == text
    assert (ref.registry, ref.path, ref.tag, ref.digest) == (registry, path, tag, digest)
