"""Creating and editing Git write-back triggers through the API: every
option is checked before anything is saved, defaults are filled in, and
the token is never shown."""

from __future__ import annotations

import pytest

from triggers.models import Trigger

pytestmark = pytest.mark.django_db

URL = "https://git.example.com/acme/deploy.git"
UPDATE = {"file": "overlays/prod/kustomization.yaml", "type": "kustomize", "name": "app"}


def create(editor_api, status: int = 201, **fields):
    body = {"name": "gitops", "stream": "app", "tag": "prod", "preset": "git", "url": URL}
    body |= {"token": "glpat-secret", "options": {"updates": [UPDATE]}}
    body.update(fields)
    response = editor_api.post("/api/v1/projects/team/triggers", body, format="json")
    assert response.status_code == status, response.json()
    return response.json()


def test_defaults_are_filled_in_and_the_token_is_never_shown(editor_api, team):
    created = create(editor_api)

    assert created["options"] == {
        "branch": "main",
        "push_branch": "main",
        "username": "x-access-token",
        "author_name": "Image Streams",
        "author_email": "imagestreams@localhost",
        "message": created["options"]["message"],
        "updates": [UPDATE],
    }
    assert created["has_token"] is True
    assert "glpat-secret" not in str(created)
    assert Trigger.objects.get().get_token() == "glpat-secret"
    assert "glpat-secret" not in Trigger.objects.get().token_encrypted


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"token": ""}, "token is required for the git preset"),
        ({"url": ""}, "url is required for a Git write-back"),
        ({"url": "ftp://example.com/x.git"}, "url must be the repository's https:// URL or an SSH"),
        ({"url": "ssh://example.com/x.git", "token": ""}, "the user is required"),
        ({"url": "ssh://git@example.com/x.git"}, "token is for https:// URLs"),
        ({"url": "https://bot:tok@example.com/x.git"}, "url must not contain credentials"),
        ({"options": {"updates": []}}, "updates must be a list of 1 to 50 updates"),
        ({"options": {"updates": [{"file": "a.yaml", "type": "sed"}]}}, "type must be one of"),
        ({"options": {"updates": [{"file": "a.yaml", "type": "kustomize"}]}}, "name (the images"),
        ({"options": {"updates": [{"file": "a.yaml", "type": "field"}]}}, "path is required"),
        (
            {"options": {"updates": [{"file": "a.yaml", "type": "field", "path": "a[x]"}]}},
            "is not [n] or [key=value]",
        ),
        ({"options": {"updates": [UPDATE], "branch": "-f"}}, "not a valid branch name"),
        ({"options": {"updates": [UPDATE], "push_branch": "a..b"}}, "not a valid branch name"),
        ({"options": {"updates": [UPDATE], "message": "{digest.__class__}"}}, "unknown field"),
        ({"options": {"updates": [UPDATE], "message": "{nope}"}}, "unknown field(s) {nope}"),
        ({"options": {"updates": [UPDATE], "message": "{digest"}}, "not a valid template"),
        ({"options": {"updates": [UPDATE], "author_email": "me"}}, "not an e-mail address"),
        ({"options": {"updates": [UPDATE], "colour": "red"}}, "unknown option(s) for the git"),
    ],
)
def test_invalid_settings_are_refused_with_a_clear_message(editor_api, team, fields, message):
    error = create(editor_api, status=400, **fields)
    assert message in str(error)
    assert not Trigger.objects.exists()


def test_an_edit_keeps_the_token_and_checks_the_new_options(editor_api, team):
    create(editor_api)
    path = "/api/v1/projects/team/triggers/gitops"
    options = {"updates": [UPDATE], "push_branch": "imagestreams/prod"}

    edited = editor_api.patch(path, {"options": options}, format="json").json()

    assert (edited["options"]["push_branch"], edited["has_token"]) == ("imagestreams/prod", True)
    bad = editor_api.patch(path, {"options": {"updates": "x"}}, format="json")
    assert bad.status_code == 400
    assert Trigger.objects.get().options["push_branch"] == "imagestreams/prod"
