"""Property-based tests (hypothesis): the reference parser, tag and stream
names, digest prefixes, and the API's inputs. Whatever the text, parsers
either accept it (and then round-trip) or refuse it with their own error; the
API answers every body with a 2xx or a 4xx carrying a message, never a 5xx."""

from __future__ import annotations

import hashlib
import re
import string
import uuid

import httpx
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from imagestreams.models import Image
from imagestreams.registry.errors import InvalidReference
from imagestreams.registry.reference import parse_reference
from imagestreams.services.errors import Conflict, InvalidInput, NotFound
from imagestreams.services.sources import resolve_stream_image, validate_tag_name
from imagestreams.services.streams import validate_stream_name
from tests.factories import ImageFactory, StreamFactory, TagEventFactory, TagFactory

FIXTURES_OK = settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
# What Docker and OpenShift accept (Go's \w is ASCII only).
TAG_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
STREAM_NAME = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")

# --- image references -----------------------------------------------------------

alnum = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=8)
separator = st.sampled_from([".", "_", "__", "-", "--"])
component = st.builds(
    lambda first, rest: first + "".join(s + a for s, a in rest),
    alnum,
    st.lists(st.tuples(separator, alnum), max_size=2),
)
# "xn--" starts an internationalised (punycode) label, which must decode.
label = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,6}[A-Za-z0-9])?", fullmatch=True).filter(
    lambda text: not text.lower().startswith("xn--")
)
domain = st.builds(
    lambda labels, port: ".".join(labels) + (f":{port}" if port else ""),
    st.lists(label, min_size=2, max_size=3),
    st.one_of(st.none(), st.integers(1, 65535)),
)
tag = st.from_regex(TAG_NAME, fullmatch=True).filter(lambda t: len(t) <= 128)
digest = st.binary(min_size=1, max_size=16).map(lambda b: "sha256:" + hashlib.sha256(b).hexdigest())


@st.composite
def references(draw) -> str:
    text = "/".join(draw(st.lists(component, min_size=1, max_size=3)))
    if draw(st.booleans()):
        text = f"{draw(domain)}/{text}"
    else:
        # Docker reads a first component with "." or ":" as a registry host.
        assume("." not in text.split("/")[0] or "/" not in text)
    if draw(st.booleans()):
        text += f":{draw(tag)}"
    if draw(st.booleans()):
        text += f"@{draw(digest)}"
    return text


@given(references())
def test_valid_references_parse_and_round_trip(text):
    assume(len(text.partition("@")[0].rpartition(":")[0] or text) <= 255)
    assume(not re.fullmatch(r"[a-f0-9]{64}", text))
    try:
        reference = parse_reference(text)
    except InvalidReference as exc:
        # Only the length limit may refuse a well-formed name.
        assert "characters long" in exc.message
        return
    assert str(reference) == text
    assert parse_reference(str(reference)) == reference
    assert reference.pull_spec().startswith(reference.typed_repository)


@given(st.text(max_size=300))
@example("a" * 300)
@example("docker.io/library/" + "a" * 250 + ":1")
@example("host:99999999999999999999/app")
@example("app@sha256:" + "0" * 63)
@example("[::1]:5000/app:1")
@example("0177.0.0.1/app:1")  # leading zeros: httpx refuses the host
@example("127.000.000.001:5000/app")
@example("256.0.0.1/app")
@example("host:99999/app")
@example("xn--a.example/app")  # not punycode
def test_any_text_is_parsed_or_refused_with_a_message(text):
    """Whatever parses can also be requested: a host the HTTP client refuses
    would fail every import of it (a 500, or an import pending for ever)."""
    try:
        reference = parse_reference(text)
    except InvalidReference as exc:
        assert exc.message
        return
    assert reference.path and str(reference) == text
    url = httpx.URL(f"https://{reference.api_host}/v2/{reference.repository}/manifests/x")
    assert url.host and (url.port or 443) <= 65535


# --- tag and stream names -------------------------------------------------------


@given(st.one_of(st.from_regex(TAG_NAME, fullmatch=True), st.text(max_size=140)))
@example("é")
@example("latest\n")
@example("-x")
@example("x" * 129)
def test_tag_names_follow_the_docker_grammar(name):
    valid = TAG_NAME.fullmatch(name) is not None
    try:
        validate_tag_name(name)
    except InvalidInput as exc:
        assert not valid, f"refused a valid tag {name!r}"
        assert exc.field == "tag"
        return
    assert valid, f"accepted an invalid tag {name!r}"


@pytest.mark.django_db
@FIXTURES_OK
@given(st.one_of(st.from_regex(STREAM_NAME, fullmatch=True), st.text(max_size=80)))
@example("app\n")
@example("App")
@example("a" * 251)  # "team/" and the name: 256 characters, one too many
def test_stream_names_follow_the_repository_grammar(project, name):
    valid = STREAM_NAME.fullmatch(name) is not None and len(f"{project.name}/{name}") <= 255
    try:
        validate_stream_name(project, name)
    except InvalidInput:
        assert not valid, f"refused a valid stream name {name!r}"
        return
    assert valid, f"accepted an invalid stream name {name!r}"


# --- digest prefixes --------------------------------------------------------------


@pytest.fixture
def project(db):
    from tests.factories import ProjectFactory

    return ProjectFactory(name="team")


hex_digests = st.lists(
    st.text("0123456789abcdef", min_size=64, max_size=64), min_size=1, max_size=5, unique=True
)


@pytest.mark.django_db
@FIXTURES_OK
@given(hex_digests, st.data())
def test_a_digest_prefix_names_one_image_or_says_why_not(project, hexes, data):
    stream = StreamFactory(project=project, name=f"s{uuid.uuid4().hex[:12]}")
    tag = TagFactory(stream=stream, name="1")
    for hexdigest in hexes:  # images outlive one example: reuse them
        image = Image.objects.filter(digest=f"sha256:{hexdigest}").first()
        TagEventFactory(tag=tag, image=image or ImageFactory(digest=f"sha256:{hexdigest}"))
    chosen = data.draw(st.sampled_from(hexes))
    prefix = chosen[: data.draw(st.integers(1, 64))]
    typed = data.draw(st.sampled_from([prefix, f"sha256:{prefix}"]))
    matching = {h for h in hexes if h.startswith(prefix)}
    if len(matching) == 1:
        assert resolve_stream_image(stream, typed).image.digest == f"sha256:{chosen}"
    else:
        with pytest.raises(Conflict, match="multiple images match"):
            resolve_stream_image(stream, typed)
    missing = data.draw(st.text("0123456789abcdef", min_size=1, max_size=64))
    assume(not any(h.startswith(missing) for h in hexes))
    with pytest.raises(NotFound):
        resolve_stream_image(stream, missing)


# --- every API input ---------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["app:1", "app", "quay.io/example/app:1", "sha256:", "1", "", "Source"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = {
    "imagestreams": ["name", "lookup_local", "annotations"],
    "imagestreams/app": ["lookup_local", "annotations", "generation"],
    "tag": [
        *("source", "destinations", "source_kind", "alias", "scheduled", "insecure"),
        *("reference_policy", "import_mode"),
    ],
    "untag": ["tags"],
    "imports": [
        *("target", "from", "confirm", "all", "insecure", "scheduled", "dry_run"),
        *("reference_policy", "import_mode"),
    ],
    "imagestreamtags/app:1/rollback": ["to", "generation"],
    "imagestreamtags/app:1/policy": ["semver", "order", "pattern", "extract", "range"],
    "triggers": ["name", "stream", "tag", "preset", "url", "options", "secret", "token"],
}


def bodies(fields: list[str]):
    """Bodies that mix the endpoint's own fields (with any JSON value) and noise."""
    known = st.fixed_dictionaries({}, optional={field: json_values for field in fields})
    return st.one_of(
        known,
        st.builds(
            lambda a, b: {**b, **a}, known, st.dictionaries(st.text(max_size=8), json_values)
        ),
        json_values,
    )


@pytest.fixture
def seeded(team):
    stream = StreamFactory(project=team, name="app")
    TagEventFactory(tag=TagFactory(stream=stream, name="1"), image=ImageFactory())
    return team


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", list(FIELDS))
def test_no_api_input_gets_a_server_error(endpoint, seeded, admin_api, loopback_only):
    method = "patch" if endpoint == "imagestreams/app" else "post"
    url = f"/api/v1/projects/team/{endpoint}"

    @settings(FIXTURES_OK, max_examples=60)
    @given(bodies(FIELDS[endpoint]))
    def check(body):
        response = getattr(admin_api, method)(url, body, format="json")
        assert response.status_code < 500, (body, response.content[:500])
        if response.status_code >= 400:
            assert response.json()["detail"], body

    check()


@pytest.mark.django_db
@settings(FIXTURES_OK, max_examples=40)
@given(st.binary(max_size=200))
def test_bodies_that_are_not_json_are_refused(seeded, admin_api, loopback_only, raw):
    response = admin_api.generic(
        "POST", "/api/v1/projects/team/tag", raw, content_type="application/json"
    )
    assert response.status_code in (400, 415) or response.status_code < 300, raw
    if response.status_code >= 400:
        assert response.json()["detail"]
