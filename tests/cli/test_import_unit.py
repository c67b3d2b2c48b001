"""`isctl import-image` against a scripted API: the request, oc's output
layout, failures on stderr with a non-zero exit, progress only on a TTY."""

from __future__ import annotations

import io
import json

import pytest

from imagestreams.cli.config import Config
from imagestreams.cli.progress import Progress
from tests.cli import answers
from tests.cli.fakes import SERVER, FakeApi, error
from tests.registry_lab.net import wait_until

DIGEST = "sha256:" + "49c1" * 16
REFERENCE = f"quay.io/centos/python-35-centos7@{DIGEST}"


@pytest.fixture(autouse=True)
def saved(config_file):
    Config(server=SERVER, token="isk_t", project="team").save(config_file)


def image() -> dict:
    return {
        "digest": DIGEST,
        "media_type": "application/vnd.oci.image.manifest.v1+json",
        "reference": REFERENCE,
        "imported": None,
        "created": "2024-01-01T00:00:00Z",
        "author": "",
        "architecture": "amd64",
        "os": "linux",
        "variant": "",
        "labels": {},
        "env": [],
        "cmd": ["python3"],
        "entrypoint": [],
        "exposed_ports": [],
        "user": "",
        "working_dir": "",
        "volumes": [],
        "layers": [{"digest": "sha256:aa", "size": 1200, "media_type": ""}],
        "size": 1500,
        "manifests": [],
    }


def stream() -> dict:
    source = "quay.io/centos/python-35-centos7"
    spec = answers.spec(source, generation=2)
    tag = answers.named_tag("3.5", [answers.tag_event(DIGEST, reference=REFERENCE)], spec)
    return answers.stream("python", [tag], generation=2)


def answer(**overrides) -> dict:
    status = {"tag": "3.5", "status": "Success", "reason": "", "message": ""}
    status |= {"reference": REFERENCE, "digest": DIGEST, "image": image()}
    result = {
        "message": "imagestream/python imported",
        "dry_run": False,
        "failed": False,
        "statuses": [status],
        "additional_tags": [],
        "stream": stream(),
    }
    return result | overrides


def test_it_sends_the_import_and_prints_the_stream_and_the_image(isctl):
    api = FakeApi().on("POST", "projects/team/imports", answer())
    result = isctl(
        "import-image", "python:3.5", "--from=quay.io/centos/python-35-centos7", "--confirm",
        transport=api.transport,
    )  # fmt: skip
    assert (result.code, result.err) == (0, "")
    assert api.body("POST", "projects/team/imports") == {
        "target": "python:3.5",
        "from": "quay.io/centos/python-35-centos7",
        "confirm": True,
        "all": False,
        "scheduled": False,
        "insecure": False,
        "dry_run": False,
    }
    assert result.out.startswith("imagestream/python imported\n\nName:\t\t\tpython\n")
    described_stream, described_image = result.out.split("\n\nImage Name:\t", 1)
    assert f"3.5\n  tagged from quay.io/centos/python-35-centos7\n\n  * {REFERENCE}\n" in (
        described_stream
    )
    assert described_image.startswith(
        f"python:3.5\nDocker Image:\t{REFERENCE}\nName:\t\t{DIGEST}\n"
    )
    assert "Command:\tpython3\n" in described_image


def test_failed_tags_go_to_stderr_and_the_exit_code_says_so(isctl):
    failure = {"tag": "2", "status": "Failure", "reason": "NotFound", "message": "manifest unknown"}
    failure |= {"reference": "", "digest": "", "image": None}
    result_body = answer(
        message="imagestream/python imported with errors",
        failed=True,
        statuses=[failure],
        additional_tags=["1.0", "dev"],
    )
    api = FakeApi().on("POST", "projects/team/imports", result_body)
    result = isctl("import-image", "python", "--all", transport=api.transport)
    assert result.code == 1
    assert result.err == (
        "error: tag 2 failed: manifest unknown\nerror: the import completed with errors\n"
    )
    assert result.out.startswith("imagestream/python imported with errors\n\nName:")
    assert result.out.endswith(
        "\n\ninfo: The remote repository contained 2 additional tags which were not imported: "
        "1.0, dev\n"
    )


def test_a_dry_run_describes_the_images_but_not_the_stream(isctl):
    api = FakeApi().on(
        "POST",
        "projects/team/imports",
        answer(message="imagestream/python imported (dry run)", dry_run=True),
    )
    result = isctl("import-image", "python:3.5", "--dry-run", transport=api.transport)
    assert result.out.startswith(
        "imagestream/python imported (dry run)\n\nImage Name:\tpython:3.5\n"
    )
    assert "Name:\t\t\tpython" not in result.out
    assert api.body("POST", "projects/team/imports")["dry_run"] is True


def test_json_output_is_the_api_answer_and_failures_still_fail(isctl):
    body = answer(failed=True)
    api = FakeApi().on("POST", "projects/team/imports", body)
    result = isctl("import-image", "python:3.5", "-o", "json", transport=api.transport)
    assert json.loads(result.out) == body
    assert result.code == 1


def test_a_missing_stream_is_the_servers_message(isctl):
    api = FakeApi().on(
        "POST",
        "projects/team/imports",
        error(400, 'no image stream named "python" exists, pass --confirm to create and import'),
    )
    result = isctl("import-image", "python:3.5", "--from=quay.io/p:3.5", transport=api.transport)
    assert result.code == 1
    assert result.err == (
        'error: no image stream named "python" exists, pass --confirm to create and import\n'
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["Python:3.5"],
            "the image name must be a valid container image pull spec or reference "
            "to an image stream (e.g. myregistry/myteam/image:tag)",
        ),
        ([f"python@{DIGEST}"], "to import images by ID, use the 'tag' command"),
        (["python:3.5", "--all"], 'cannot specify a tag "python:3.5" as well as --all'),
        (
            ["python", "--reference-policy=proxy"],
            "reference policy must be set to 'source' or 'local'",
        ),
        (["python", "--import-mode=all"], "valid ImportMode values are Legacy or PreserveOriginal"),
        (["python", "--from=http://x/y"], "--from must be a valid container image pull spec"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(isctl, argv, message):
    api = FakeApi()
    result = isctl("import-image", *argv, transport=api.transport)
    assert result.code == 2
    assert result.err.startswith(f"error: {message}")
    assert api.requests == []


def test_optional_policies_are_sent_only_when_given(isctl):
    api = FakeApi().on("POST", "projects/team/imports", answer())
    isctl(
        "import-image", "python:3.5", "--reference-policy=LOCAL", "--import-mode=legacy",
        "--scheduled", "--insecure", transport=api.transport,
    )  # fmt: skip
    body = api.body("POST", "projects/team/imports")
    assert (body["reference_policy"], body["import_mode"]) == ("local", "Legacy")
    assert (body["scheduled"], body["insecure"], "from" in body) == (True, True, False)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal_and_cleared_afterwards():
    terminal = FakeTerminal()
    with Progress(terminal, "Importing python", interval=0.01) as progress:
        assert progress.enabled
        wait_until(lambda: "Importing python ... " in terminal.getvalue(), interval=0.01)
    assert "Importing python ... | 0s" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r\x1b[K")


def test_progress_stays_quiet_when_piped():
    piped = io.StringIO()
    with Progress(piped, "Importing python", interval=0.001) as progress:
        assert not progress.enabled
    assert piped.getvalue() == ""
