"""The YAML editor of Git write-backs on its own: only the value's bytes
change, the quoting is the old one, and anything that would change more
(an anchored value, a bad marker) is refused with a clear reason."""

from __future__ import annotations

import pytest

from triggers.gitops.yamledit import (
    EditError,
    Image,
    apply,
    field_edits,
    kustomize_edits,
    marker_edits,
    parse_path,
    render_scalar,
)

IMAGE = Image("registry.example.com/team/app", "sha256:" + "a" * 64)


def test_only_the_value_changes_in_a_multi_document_file():
    text = (
        "---\n# first\nkind: Service   \nspec: {ports: [80]}\n\n"
        "---\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
        '      - name: app\n        image: "old"  # note\n        command: |\n          run\n'
    )
    edits = field_edits(text, "spec.template.spec.containers[name=app].image", IMAGE.pull_spec)

    assert apply(text, edits) == text.replace('"old"', f'"{IMAGE.pull_spec}"')
    assert [edit.document for edit in edits] == [1]


def test_writing_the_same_image_twice_gives_the_same_bytes():
    text = "images:\n- name: app\n"
    once = apply(text, kustomize_edits(text, "app", IMAGE))
    assert apply(once, kustomize_edits(once, "app", IMAGE)) == once


@pytest.mark.parametrize(
    ("value", "style", "written"),
    [
        ("registry/app@sha256:ab", None, "registry/app@sha256:ab"),
        ("registry/app@sha256:ab", "'", "'registry/app@sha256:ab'"),
        ("registry/app@sha256:ab", '"', '"registry/app@sha256:ab"'),
        ("yes", None, '"yes"'),  # a boolean to Kubernetes' YAML 1.1 reader
        ("1.10", None, '"1.10"'),
        ("it's", "'", "'it''s'"),
    ],
)
def test_values_keep_their_quoting_and_stay_strings(value, style, written):
    assert render_scalar(value, style) == written


def test_an_anchored_value_is_refused_since_its_aliases_would_change_too():
    text = "image:\n  repository: &repo old/app\n  digest: x\nmirror: *repo\n"
    edits = field_edits(text, "image.repository", IMAGE.repository)

    with pytest.raises(EditError, match="line 2: the value has an anchor or a tag"):
        apply(text, edits)


def test_a_value_used_through_an_alias_is_refused_by_the_self_check():
    text = "base: &b\n  digest: x\nimage: *b\n"
    edits = field_edits(text, "image.digest", IMAGE.digest)

    with pytest.raises(EditError, match="would change more than the image"):
        apply(text, edits)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("image: {}\n", "path image.digest not found"),
        ("image:\n  digest: [1]\n", "not a single value"),
        ("image: [\n", "not valid YAML"),
    ],
)
def test_paths_that_do_not_lead_to_a_value_are_reported(text, error):
    with pytest.raises(EditError, match=error):
        field_edits(text, "image.digest", IMAGE.digest)


def test_a_kustomize_entry_that_does_not_exist_is_reported():
    with pytest.raises(EditError, match="no images entry with name 'web'"):
        kustomize_edits("images:\n- name: app\n", "web", IMAGE)


def test_markers_count_what_they_found_and_report_broken_ones():
    text = 'a: x # {"$imagestream": "team/app:prod"}\nb: y # {"$imagestream": "other/app:prod"}\n'
    edits, report = marker_edits(text, "team/app:prod", IMAGE, project="team")
    assert (report.found, report.matched) == (2, 1)
    assert apply(text, edits).startswith(f"a: {IMAGE.pull_spec} #")

    with pytest.raises(EditError, match="line 1: marker comment is not valid JSON"):
        marker_edits('a: x # {"$imagestream": team}\n', "team/app:prod", IMAGE, project="team")
    with pytest.raises(EditError, match="must be project/stream:tag"):
        marker_edits('a: x # {"$imagestream": "app"}\n', "team/app:prod", IMAGE, project="team")


@pytest.mark.parametrize("bad", ["a..b", "a[x]", "a[", ""])
def test_invalid_paths_are_refused(bad):
    with pytest.raises(EditError, match="invalid path"):
        parse_path(bad)


def test_a_pull_spec_by_tag_still_names_the_repository():
    image = Image.from_pull_spec("registry:5000/team/app:1", "sha256:" + "b" * 64)
    assert image.repository == "registry:5000/team/app"
