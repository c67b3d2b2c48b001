"""What a new user sees before logging in, and names of other projects."""

from __future__ import annotations

import pytest

from imagestreams.cli.config import Config
from tests.cli.fakes import SERVER, FakeApi


def test_before_any_login_get_says_to_log_in(isctl, config_file):
    result = isctl("get", "is")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "error: you are not logged in\n"
        'hint: run "isctl login --server URL --username NAME" '
        "(or set ISCTL_SERVER, ISCTL_TOKEN and ISCTL_PROJECT)\n"
    )
    assert not config_file.exists()


def test_with_a_server_but_no_token_it_says_to_log_in_there(isctl, config_file):
    Config(server=SERVER).save(config_file)
    result = isctl("describe", "is/python")
    assert result.err == (
        f"error: you are not logged in to {SERVER}\n"
        'hint: run "isctl login" (or pass --token / set ISCTL_TOKEN)\n'
    )


@pytest.mark.parametrize(
    ("argv", "message", "hint"),
    [
        (
            ["get", "is", "demo/python"],
            'invalid image stream name "demo/python"',
            'hint: for "python" of project "demo", run: isctl -n demo get is/python\n',
        ),
        (
            ["describe", "istag/demo/python:3"],
            'invalid image stream tag name "demo/python:3"',
            'hint: for "python:3" of project "demo", run: isctl -n demo describe istag/python:3\n',
        ),
        (["describe", "is/a/b/c"], 'invalid image stream name "a/b/c"', ""),
    ],
)
def test_a_name_with_a_project_is_refused_with_a_hint(isctl, config_file, argv, message, hint):
    Config(server=SERVER, token="isk_t", project="team").save(config_file)
    api = FakeApi()
    result = isctl(*argv, transport=api.transport)
    assert result.code == 2
    assert result.err.startswith(f"error: {message}: arguments in resource/name form")
    assert result.err.endswith("more than one slash\n" + hint)
    assert api.requests == []
