"""Git write-back over SSH with a deploy key, against a real `sshd` started
by the tests (tests/triggers/sshserver.py) serving the bare repositories of
the HTTP test server: what only SSH has. The key is stored encrypted and
never shown, a host key that does not match fails once with a clear reason,
ssh goes to the address the guard checked, bad keys and host keys are a 400.
The scenarios both transports share (a push, no empty commit, rollback, a
colleague's commit, wrong credentials, a server down, the outbound guard, a
dry run) run over SSH in test_git_writeback.py (`@over_https_and_ssh`)."""

from __future__ import annotations

import tempfile

import pytest

from tests.triggers.gitremote import SshRemote, assert_key_not_in
from tests.triggers.sshserver import keygen
from tests.triggers.test_git_writeback import DIGEST_1, VALUES, move
from triggers.models import Delivery, DeliveryStatus, Trigger
from triggers.services.deliveries import deliveries_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def remote(git_server, ssh_server) -> SshRemote:
    """The `write_back` triggers of this file go over SSH."""
    return SshRemote(git_server, ssh_server)


def key_body(key: str) -> str:
    """The base64 body of a private key, as one line (what a leak would show)."""
    return "".join(line for line in key.splitlines() if not line.startswith("-----"))


def test_the_deploy_key_is_stored_encrypted_and_never_shown(ssh_server, write_back):
    created = write_back([{"file": "values.yaml", "type": "helm"}])

    assert (created["has_ssh_key"], created["has_token"]) == (True, False)
    assert "ssh_key" not in created and "PRIVATE KEY" not in str(created)
    assert created["options"]["known_hosts"] == ssh_server.known_hosts + "\n"
    stored = Trigger.objects.get()
    assert stored.get_ssh_key().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert key_body(ssh_server.client_key)[:40] not in stored.ssh_key_encrypted


def test_the_servers_public_key_alone_is_a_host_key_and_a_dry_run_works(
    api, base, git_server, ssh_server, write_back
):
    git_server.create({"values.yaml": VALUES})
    move(api, "base:1")
    write_back([{"file": "values.yaml", "type": "helm"}], known_hosts=ssh_server.host_key)

    result = api.post("triggers/gitops/test")

    assert result["succeeded"] is True, result
    [attempt] = result["delivery"]["attempt_log"]
    assert f"+    digest: '{DIGEST_1}'" in attempt["diff"]
    assert git_server.log() == ["Initial manifests"]


def test_a_host_key_that_does_not_match_fails_once_and_sends_nothing(
    api, base, git_server, ssh_server, write_back, tmp_path
):
    git_server.create({"values.yaml": VALUES})
    keygen(tmp_path / "impostor")
    impostor = " ".join((tmp_path / "impostor.pub").read_text().split()[:2])
    write_back(
        [{"file": "values.yaml", "type": "helm"}],
        known_hosts=f"[127.0.0.1]:{ssh_server.port} {impostor}",
    )

    move(api, "base:1")

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.error.startswith("host key mismatch: the server's SSH host key is not one")
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in delivery.error
    assert "Accepted publickey" not in ssh_server.log()  # the key was never offered
    assert_key_not_in(delivery.error, ssh_server.client_key)
    assert deliveries_sweep() == []


def test_an_edit_keeps_the_deploy_key_and_moving_to_https_drops_it(
    api, base, git_server, ssh_server, write_back
):
    write_back([{"file": "values.yaml", "type": "helm"}])
    stored = Trigger.objects.get().ssh_key_encrypted
    options = {"known_hosts": ssh_server.host_key, "updates": [{"file": "v.yaml", "type": "helm"}]}

    edited = api.call("patch", "triggers/gitops", {"options": options})

    assert edited["has_ssh_key"] is True
    assert Trigger.objects.get().ssh_key_encrypted == stored
    https = {"url": git_server.url(), "token": git_server.token}
    https["options"] = {"updates": options["updates"]}
    moved = api.call("patch", "triggers/gitops", https)
    assert (moved["has_ssh_key"], moved["has_token"]) == (False, True)
    assert "known_hosts" not in moved["options"]


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("keys")
    found = {}
    for name, kind, passphrase in (
        ("ed25519", "ed25519", ""),
        ("ecdsa", "ecdsa", ""),
        ("rsa", "rsa", ""),
        ("locked", "ed25519", "a passphrase"),
    ):
        found[name] = keygen(folder / name, kind, passphrase=passphrase)
        found[f"{name}.pub"] = (folder / f"{name}.pub").read_text()
    return found


SSH_URL = "ssh://git@git.example.com:2222/acme/deploy.git"
HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
UPDATES = [{"file": "values.yaml", "type": "helm"}]


def create(editor_api, keys, status: int, **fields):
    body = {"name": "gitops", "stream": "app", "preset": "git", "url": SSH_URL}
    body |= {"ssh_key": keys["ed25519"], "options": {"known_hosts": HOST_KEY, "updates": UPDATES}}
    body.update(fields)
    response = editor_api.post("/api/v1/projects/team/triggers", body, format="json")
    assert response.status_code == status, response.json()
    return response.json()


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "rsa"])
def test_ed25519_ecdsa_and_rsa_deploy_keys_are_taken(editor_api, team, keys, kind):
    created = create(editor_api, keys, 201, ssh_key=keys[kind])
    assert created["has_ssh_key"] is True
    assert created["options"]["known_hosts"] == HOST_KEY + "\n"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"ssh_key": "ed25519.pub"}, "ssh_key", "ssh_key is a public key: give the private key"),
        ({"ssh_key": "locked"}, "ssh_key", "ssh_key is protected by a passphrase"),
        ({"ssh_key": "not a key"}, "ssh_key", "ssh_key is not a private key"),
        ({"ssh_key": "broken"}, "ssh_key", "ssh_key is not a valid private key"),
        ({"ssh_key": ""}, "ssh_key", "ssh_key is required for an SSH URL"),
        ({"token": "glpat-x"}, "token", "token is for https:// URLs"),
        ({"options": {"updates": UPDATES}}, "options", "known_hosts is required for an SSH URL"),
        (
            {"options": {"updates": UPDATES, "known_hosts": f"git.example.com {HOST_KEY}"}},
            "options",
            "known_hosts has no host key for [git.example.com]:2222",
        ),
        (
            {"options": {"updates": UPDATES, "known_hosts": "ssh-ed25519 AAAAnope"}},
            "options",
            "the ssh-ed25519 key is not valid",
        ),
        ({"url": "git.example.com:acme/deploy.git"}, "url", "the user is required"),
        ({"url": "ssh://-oProxyCommand=x@h/p"}, "url", "is not an SSH repository URL"),
        ({"url": "git@127.0.0.1:acme/deploy.git"}, "url", "internal address 127.0.0.1"),
        (
            {"url": "https://git.example.com/acme/deploy.git", "token": "t"},
            "ssh_key",
            "ssh_key is only for a Git write-back to an SSH URL",
        ),
    ],
)
def test_bad_ssh_input_is_a_400_that_never_quotes_the_key(
    editor_api, team, keys, settings, fields, field, message
):
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = False
    if fields.get("ssh_key") in keys:
        fields["ssh_key"] = keys[fields["ssh_key"]]
    elif fields.get("ssh_key") == "broken":
        fields["ssh_key"] = keys["ed25519"][:200] + "\n-----END OPENSSH PRIVATE KEY-----\n"

    error = create(editor_api, keys, 400, **fields)

    assert message in error["detail"], error
    assert error["field"] == field
    assert_key_not_in(str(error), keys["ed25519"])
    assert_key_not_in(str(error), keys["locked"])
    assert not Trigger.objects.exists()


def test_known_hosts_from_ssh_keyscan_keep_only_the_lines_for_the_host(editor_api, team, keys):
    other = "github.com " + HOST_KEY
    mine = f"[git.example.com]:2222 {HOST_KEY}"
    given = f"# git.example.com:2222 SSH-2.0-OpenSSH_9.2\n{other}\n{mine}\n"

    created = create(editor_api, keys, 201, options={"known_hosts": given, "updates": UPDATES})

    assert created["options"]["known_hosts"] == mine + "\n"


def test_ssh_connects_to_the_address_the_guard_checked_and_checks_the_key_by_name(
    api, base, git_server, ssh_server, write_back, settings, monkeypatch, tmp_path
):
    """The host's name resolves nowhere: only the guard's answer (loopback,
    let through here) can lead ssh to the server, and the known_hosts line
    names the host, not the address. The key and known_hosts files are
    gone after the attempt."""
    name = "git.imagestreams.invalid"
    checked: list[tuple[str, int]] = []

    class LoopbackGuard:
        def checked_addresses(self, host: str, port: int) -> list[str]:
            checked.append((host, port))
            return ["127.0.0.1"]

    monkeypatch.setattr("triggers.gitops.git.Guard", LoopbackGuard)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = False
    git_server.create({"values.yaml": VALUES})
    host_key = " ".join(ssh_server.host_key.split()[:2])
    api.post(
        "triggers",
        {
            "name": "gitops", "stream": "app", "tag": "prod", "preset": "git",
            "url": ssh_server.url().replace("127.0.0.1", name),
            "ssh_key": ssh_server.client_key,
            "options": {
                "known_hosts": f"[{name}]:{ssh_server.port} {host_key}",
                "updates": [{"file": "values.yaml", "type": "helm"}],
            },
        },
        status=201,
    )  # fmt: skip

    move(api, "base:1")

    assert Delivery.objects.get().status == DeliveryStatus.SUCCEEDED
    assert git_server.log()[0] == f"Deploy team/app:prod at {DIGEST_1}"
    assert checked == [(name, ssh_server.port)]
    assert list(scratch.iterdir()) == []
