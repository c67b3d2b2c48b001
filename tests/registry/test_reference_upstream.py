"""The reference parser against distribution/reference's own published cases
(reference_test.go: TestReferenceParse; normalize_test.go:
TestValidateReferenceName, TestValidateRemoteName, TestParseRepositoryInfo,
TestNormalizedSplitHostname), written out here as tables.

This project splits the registry host the way Docker does (upstream's
*normalised* parsing): a first component is a host when it has a dot, a port,
uppercase letters, or is `localhost`. Upstream's plain `Parse` also takes
`foo/` in `foo/foo_bar.com` as a domain; those rows check the accepted text,
tag and digest, and the domain only where both readings agree.
"""

from __future__ import annotations

import pytest

from imagestreams.registry import InvalidReference, parse_reference

F64 = "sha256:" + "f" * 64
F128 = "sha512:" + "f" * 128
HEX64 = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"

# (input, name as typed, tag, digest) — TestReferenceParse, the accepted inputs.
PARSED = [
    ("test_com", "test_com", None, None),
    ("test.com:tag", "test.com", "tag", None),
    ("test.com:5000", "test.com", "5000", None),
    ("test.com/repo:tag", "test.com/repo", "tag", None),
    ("test:5000/repo", "test:5000/repo", None, None),
    ("test:5000/repo:tag", "test:5000/repo", "tag", None),
    (f"test:5000/repo@{F64}", "test:5000/repo", None, F64),
    (f"test:5000/repo:tag@{F64}", "test:5000/repo", "tag", F64),
    ("lowercase:Uppercase", "lowercase", "Uppercase", None),
    ("a/" * 127 + "a:tag-puts-this-over-max", "a/" * 127 + "a", "tag-puts-this-over-max", None),
    ("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com/bar/baz/quux", None, None),
    (
        "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
        "sub-dom1.foo.com/bar/baz/quux",
        "some-long-tag",
        None,
    ),
    (
        "b.gcr.io/test.example.com/my-app:test.example.com",
        "b.gcr.io/test.example.com/my-app",
        "test.example.com",
        None,
    ),
    ("foo_bar.com:8080", "foo_bar.com", "8080", None),
    ("foo/foo_bar.com:8080", "foo/foo_bar.com", "8080", None),
    ("192.168.1.1", "192.168.1.1", None, None),
    ("192.168.1.1:tag", "192.168.1.1", "tag", None),
    ("192.168.1.1:5000", "192.168.1.1", "5000", None),
    ("192.168.1.1/repo", "192.168.1.1/repo", None, None),
    ("192.168.1.1:5000/repo", "192.168.1.1:5000/repo", None, None),
    ("192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo", "5050", None),
    ("[2001:db8::1]/repo", "[2001:db8::1]/repo", None, None),
    ("[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]/repo", "tag", None),
    ("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000/repo", None, None),
    ("[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000/repo", "tag", None),
    (f"[2001:db8::1]:5000/repo@{F64}", "[2001:db8::1]:5000/repo", None, F64),
    (f"[2001:db8::1]:5000/repo:tag@{F64}", "[2001:db8::1]:5000/repo", "tag", F64),
    ("[2001:db8::]:5000/repo", "[2001:db8::]:5000/repo", None, None),
    ("[::1]:5000/repo", "[::1]:5000/repo", None, None),
    # The path is limited to 255 characters, the host is not counted.
    ("example.com/" + "a" * 255, "example.com/" + "a" * 255, None, None),
    # Upstream's FIXME: an uppercase first component is read as a host.
    ("Uppercase/lowercase:tag", "Uppercase/lowercase", "tag", None),
]

# TestReferenceParse, the refused inputs (and the path one character too long).
REFUSED = [
    "",
    ":justtag",
    f"@{F64}",
    "repo@sha256:" + "f" * 34,
    f"validname@invaliddigest:{'f' * 64}",
    "Uppercase:tag",
    "test:5000/Uppercase/lowercase:tag",
    "a/" * 128 + "a:tag",
    "aa/asdf$$^/aa",
    "[2001:db8::1]",
    "[2001:db8::1]:5000",
    "[2001:db8::1]:tag",
    "[fe80::1%eth0]:5000/repo",
    "[fe80::1%@invalidzone]:5000/repo",
    "example.com/" + "a" * 256,
]

# TestValidateReferenceName and TestValidateRemoteName (ParseNormalizedNamed).
NORMALISED_VALID = [
    "docker/docker",
    "library/debian",
    "debian",
    "docker.io/docker/docker",
    "docker.io/library/debian",
    "docker.io/debian",
    "index.docker.io/docker/docker",
    "index.docker.io/library/debian",
    "index.docker.io/debian",
    "127.0.0.1:5000/docker/docker",
    "127.0.0.1:5000/library/debian",
    "127.0.0.1:5000/debian",
    "192.168.0.1",
    "192.168.0.1:80",
    "192.168.0.1:8/debian",
    "192.168.0.2:25000/debian",
    "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
    "[fc00::1]:5000/docker",
    "[fc00::1]:5000/docker/docker",
    "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
    f"docker.io/{HEX64}",
    "Docker/docker",
    "DOCKER/docker",
    "docker-rules/docker",
    "docker---rules/docker",
    "doc/docker",
    "d/docker",
    "jess/t",
    "dock__er/docker",
]

NORMALISED_INVALID = [
    "https://github.com/docker/docker",
    "docker/Docker",
    "-docker",
    "-docker/docker",
    "-docker.io/docker/docker",
    "docker///docker",
    "docker.io/docker/Docker",
    "docker.io/docker///docker",
    "[fc00::1]",
    "[fc00::1]:5000",
    "fc00::1:5000/debian",
    "[fe80::1%eth0]:5000/debian",
    "[2001:db8:3:4::192.0.2.33]:5000/debian",
    HEX64,
    "docker-/docker",
    "-docker-/docker",
    "____/____",
    "_docker/_docker",
    "dock..er/docker",
    "dock_.er/docker",
    "dock-.er/docker",
    "docker/",
    "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_" * 4 + "/docker",
]

# (input, domain, path) — TestParseRepositoryInfo (every spelling of each
# name) and TestNormalizedSplitHostname.
NORMALISED_NAMES = [
    ("fooo/bar", "docker.io", "fooo/bar"),
    ("docker.io/fooo/bar", "docker.io", "fooo/bar"),
    ("index.docker.io/fooo/bar", "docker.io", "fooo/bar"),
    ("ubuntu", "docker.io", "library/ubuntu"),
    ("docker.io/library/ubuntu", "docker.io", "library/ubuntu"),
    ("library/ubuntu", "docker.io", "library/ubuntu"),
    ("nonlibrary/ubuntu", "docker.io", "nonlibrary/ubuntu"),
    ("other/library", "docker.io", "other/library"),
    ("127.0.0.1:8000/private/moonbase", "127.0.0.1:8000", "private/moonbase"),
    ("127.0.0.1:8000/privatebase", "127.0.0.1:8000", "privatebase"),
    ("example.com/private/moonbase", "example.com", "private/moonbase"),
    ("example.com/privatebase", "example.com", "privatebase"),
    ("example.com:8000/private/moonbase", "example.com:8000", "private/moonbase"),
    ("example.com:8000/privatebasee", "example.com:8000", "privatebasee"),
    ("ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base"),
    ("index.docker.io/library/ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base"),
    ("foo", "docker.io", "library/foo"),
    ("docker.io/foo", "docker.io", "library/foo"),
    ("library/foo/bar", "docker.io", "library/foo/bar"),
    ("store/foo/bar", "docker.io", "store/foo/bar"),
    ("Foo/bar", "Foo", "bar"),
    ("FOO/bar", "FOO", "bar"),
    ("test.com/foo", "test.com", "foo"),
    ("test_com/foo", "docker.io", "test_com/foo"),
    ("docker/migrator", "docker.io", "docker/migrator"),
    ("test.com:8080/foo", "test.com:8080", "foo"),
    ("test-com:8080/foo", "test-com:8080", "foo"),
    ("docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
]


@pytest.mark.parametrize(("text", "name", "tag", "digest"), PARSED)
def test_upstream_parse_cases_are_accepted(text, name, tag, digest):
    ref = parse_reference(text)

    assert (ref.typed_repository, ref.tag, ref.digest) == (name, tag, digest)
    assert str(ref) == text


@pytest.mark.parametrize("text", REFUSED)
def test_upstream_parse_errors_are_refused(text):
    with pytest.raises(InvalidReference):
        parse_reference(text)


@pytest.mark.parametrize("text", NORMALISED_VALID)
def test_upstream_valid_names_are_accepted(text):
    assert str(parse_reference(text)) == text


@pytest.mark.parametrize("text", NORMALISED_INVALID)
def test_upstream_invalid_names_are_refused(text):
    with pytest.raises(InvalidReference):
        parse_reference(text)


@pytest.mark.parametrize(("text", "domain", "path"), NORMALISED_NAMES)
def test_upstream_normalised_domain_and_path(text, domain, path):
    ref = parse_reference(text)

    # The host as typed; Docker Hub's spellings fold into docker.io.
    assert (ref.registry or "docker.io") == domain or ref.registry_host == domain
    assert ref.repository == path


def test_an_uppercase_first_component_is_a_registry_host_not_a_lowercase_error():
    ref = parse_reference("DOCKER/docker:1")

    assert (ref.registry, ref.path, ref.registry_host) == ("DOCKER", "docker", "docker")


# Accepted by upstream, refused here on purpose: the hosts are punycode for
# "☃.com" and "🐳.com", which IDNA 2008 (and so the HTTP client) refuses, so
# every import from them would fail; the parser says so up front.
UNREACHABLE_HOSTS = [
    "xn--n3h.com/myimage:xn--n3h.com",
    f"xn--7o8h.com/myimage:xn--7o8h.com@{F128}",
    "xn--n3h.com/foo",
    "xn--n3h.com:18080/foo",
]


@pytest.mark.parametrize("text", UNREACHABLE_HOSTS)
def test_hosts_the_http_client_refuses_are_refused_with_the_reason(text):
    with pytest.raises(InvalidReference, match="the HTTP client refuses it"):
        parse_reference(text)
