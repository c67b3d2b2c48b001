"""Git write-back triggers against a real Git server (git http-backend with
Basic auth on loopback, and sshd serving the same repositories): tags move
through the REST API, the outbox delivers, and the tests read what was pushed
with plain git. The scenarios marked `@over_https_and_ssh` run over both
transports (tests/triggers/gitremote.py); what only SSH has is in
test_git_ssh.py."""

from __future__ import annotations

import pytest

from imagestreams.access import acting_system
from imagestreams.models import TagChange
from imagestreams.services.tagging import tag_set
from tests.triggers.gitremote import over_https_and_ssh
from tests.triggers.outbox import fan_out
from triggers.models import AttemptOutcome, Delivery, DeliveryStatus
from triggers.services.deliveries import deliveries_sweep, delivery_send

pytestmark = pytest.mark.django_db

DIGEST_1 = "sha256:" + "1" * 64
DIGEST_2 = "sha256:" + "2" * 64
REPOSITORY = "quay.io/example/app"
DEPLOYMENT = """\
# The app, deployed by Argo CD from this file.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
        - name: sidecar
          image: "busybox:1.36"
        - name: app
          image: old.example.com/app:1   # bumped by Image Streams

          args: ["--port",   "8080"]
"""


def move(api, source: str, tag: str = "prod") -> None:
    api.post("tag", {"source": source, "destinations": [f"app:{tag}"]})


@over_https_and_ssh
def test_a_new_image_is_committed_as_a_one_line_diff_and_the_same_image_is_not(
    api, base, git_server, remote, write_back
):
    git_server.create({"apps/app/deployment.yaml": DEPLOYMENT})
    path = "spec.template.spec.containers[name=app].image"
    created = write_back([{"file": "apps/app/deployment.yaml", "type": "field", "path": path}])
    assert created["has_token"] is (remote.transport == "https")
    assert created["has_ssh_key"] is (remote.transport == "ssh")
    assert "token" not in created and "ssh_key" not in created
    remote.assert_never_shown(str(created))

    move(api, "base:1")

    head = git_server.git("rev-parse", "main").strip()
    assert git_server.changed_lines("main") == [
        "-          image: old.example.com/app:1   # bumped by Image Streams",
        f"+          image: {REPOSITORY}@{DIGEST_1}   # bumped by Image Streams",
    ]
    assert git_server.read("apps/app/deployment.yaml").decode() == DEPLOYMENT.replace(
        "old.example.com/app:1", f"{REPOSITORY}@{DIGEST_1}"
    )
    assert git_server.log()[0] == f"Deploy team/app:prod at {DIGEST_1}"
    message = git_server.git("log", "-1", "--format=%an <%ae>%n%b", "main")
    assert message.startswith("Image Streams <imagestreams@localhost>")
    assert "Cause: tag by editor" in message
    [delivery] = api.get("triggers/gitops/deliveries")["results"]
    [attempt] = delivery["attempt_log"]
    assert (delivery["status"], attempt["commit"]) == ("succeeded", head)
    assert f"+          image: {REPOSITORY}@{DIGEST_1}" in attempt["diff"]
    assert attempt["response_body"] == f"pushed {head[:12]} to main"
    assert remote.carried_the_push()

    # The same image again (a re-send): nothing to commit, and the log says so.
    api.post(f"triggers/gitops/deliveries/{delivery['id']}/resend", status=202)
    again = api.get(f"triggers/gitops/deliveries/{delivery['id']}")
    assert again["status"] == "succeeded"
    assert again["attempt_log"][-1]["commit"] == ""
    assert again["attempt_log"][-1]["response_body"].startswith("already up to date")
    assert git_server.git("rev-parse", "main").strip() == head
    remote.assert_never_shown(str(again))


KUSTOMIZATION = """\
---
# Production overlay: Flux applies it.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../base    # shared manifests

images:
- name: ghcr.io/acme/web
  newTag: "2.4.1"
- name: app          # our service
  newName: 'old.example.com/app'
  digest: "sha256:0000000000000000000000000000000000000000000000000000000000000000"

configMapGenerator:
- name: banner
  literal: |
    Welcome!
      indented: kept
"""
VALUES = """\
# Helm values for the app chart.
replicaCount: 2

image:
    repository: old.example.com/app    # which image
    digest: ''
    pullPolicy: IfNotPresent

resources: {limits: {cpu: 500m}}
"""
MARKED = """\
apiVersion: batch/v1
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: job
            image: old.example.com/app:1 # {"$imagestream": "team/app:prod"}
          - name: other
            image: old.example.com/other:3 # {"$imagestream": "team/app:staging"}
          initContainers:
          - name: migrate
            image: old.example.com/app   #{"$imagestream": "app:prod:name"}
            env:
            - {name: DIGEST, value: "none"}  # {"$imagestream": "app:prod:digest"}
"""


def test_kustomization_helm_values_and_markers_keep_every_other_byte(
    api, base, git_server, write_back
):
    git_server.create(
        {"prod/kustomization.yaml": KUSTOMIZATION, "chart/values.yaml": VALUES, "job.yaml": MARKED}
    )
    write_back(
        [
            {"file": "prod/kustomization.yaml", "type": "kustomize", "name": "app"},
            {"file": "chart/values.yaml", "type": "helm"},
            {"file": "job.yaml", "type": "marker"},
        ]
    )

    move(api, "base:1")

    assert git_server.read("prod/kustomization.yaml").decode() == KUSTOMIZATION.replace(
        "'old.example.com/app'", f"'{REPOSITORY}'"
    ).replace('"sha256:' + "0" * 64 + '"', f'"{DIGEST_1}"')
    assert git_server.read("chart/values.yaml").decode() == VALUES.replace(
        "old.example.com/app ", f"{REPOSITORY} "
    ).replace("digest: ''", f"digest: '{DIGEST_1}'")
    assert git_server.read("job.yaml").decode() == (
        MARKED.replace("old.example.com/app:1", f"{REPOSITORY}@{DIGEST_1}")
        .replace("old.example.com/app ", f"{REPOSITORY} ")
        .replace('"none"', f'"{DIGEST_1}"')
    )
    assert len(git_server.log()) == 2  # one commit for the three files


def test_a_missing_kustomize_key_is_added_on_its_own_line(api, base, git_server, write_back):
    text = "images:\n  - name: app\n    newTag: v1   # pinned\nreplicas: []\n"
    git_server.create({"kustomization.yaml": text})
    write_back([{"file": "kustomization.yaml", "type": "kustomize", "name": "app"}])

    move(api, "base:1")

    assert git_server.read("kustomization.yaml").decode() == (
        "images:\n  - name: app\n    newTag: v1   # pinned\n"
        f"    newName: {REPOSITORY}\n    digest: {DIGEST_1}\nreplicas: []\n"
    )


@over_https_and_ssh
def test_rollback_commits_the_older_digest(api, base, git_server, write_back):
    git_server.create({"values.yaml": VALUES})
    write_back([{"file": "values.yaml", "type": "helm"}])
    move(api, "base:1")
    move(api, "base:2")

    api.post("imagestreamtags/app:prod/rollback")

    assert git_server.log()[0] == f"Deploy team/app:prod at {DIGEST_1}"
    assert git_server.changed_lines("main") == [
        f"-    digest: '{DIGEST_2}'",
        f"+    digest: '{DIGEST_1}'",
    ]
    body = git_server.git("log", "-1", "--format=%b", "main")
    assert f"Previous: {DIGEST_2}" in body and "Cause: rollback by editor" in body
    assert len(git_server.log()) == 4


@over_https_and_ssh
def test_a_colleagues_commit_before_the_push_is_kept_and_the_change_re_applied(
    api, base, git_server, remote, write_back
):
    git_server.create({"values.yaml": VALUES})
    write_back([{"file": "values.yaml", "type": "helm"}])
    remote.commit_before_push({"README.md": "hello\n"})

    move(api, "base:1")

    assert git_server.log() == [
        f"Deploy team/app:prod at {DIGEST_1}",
        "A colleague's change",
        "Initial manifests",
    ]
    assert git_server.read("README.md") == b"hello\n"
    attempt = Delivery.objects.get().attempt_log.get()
    assert "re-applied after 1 rejected push" in attempt.response_body


@over_https_and_ssh
def test_wrong_credentials_fail_once_with_a_clear_reason(
    api, base, git_server, remote, write_back, caplog
):
    git_server.create({"values.yaml": VALUES})
    write_back([{"file": "values.yaml", "type": "helm"}])
    remote.refuse_credentials()  # the trigger's token or deploy key is wrong now

    move(api, "base:1")

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.error.startswith(remote.refusal), delivery.error
    assert remote.refusal_by_git in delivery.error
    attempt = delivery.attempt_log.get()
    assert attempt.outcome == AttemptOutcome.FAILURE
    for text in (delivery.error, attempt.error, attempt.response_body, caplog.text):
        remote.assert_never_shown(text)
    assert remote.connections() > 0 and remote.logins() == 0
    connections = remote.connections()
    assert deliveries_sweep() == []  # not re-queued, so no storm of logins
    assert remote.connections() == connections
    assert git_server.log() == ["Initial manifests"]


def test_files_outside_the_repository_are_refused(api, base, git_server, write_back):
    for file in ("../outside.yaml", "/etc/hosts", "a/../../b.yaml", ".git/config"):
        body = {"name": "bad", "stream": "app", "preset": "git", "url": git_server.url()}
        body |= {"token": "t", "options": {"updates": [{"file": file, "type": "marker"}]}}
        error = api.post("triggers", body, status=400)
        assert "inside the repository" in str(error), file

    git_server.create({"values.yaml": VALUES}, repo="deploy")
    git_server.commit({}, symlinks={"linked/values.yaml": "/etc/hostname"})
    write_back([{"file": "linked/values.yaml", "type": "helm"}])
    move(api, "base:1")

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert "symbolic link" in delivery.error


def test_a_missing_file_or_path_fails_without_retries(api, base, git_server, write_back):
    git_server.create({"values.yaml": VALUES})
    write_back([{"file": "values.yaml", "type": "field", "path": "image.tag"}])

    move(api, "base:1")

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.error == "values.yaml: path image.tag not found"


def test_a_file_that_is_not_utf8_text_is_refused(api, base, git_server, write_back):
    git_server.create({"values.yaml": VALUES.encode().replace(b"# Helm", b"# \xe9 Helm")})
    write_back([{"file": "values.yaml", "type": "helm"}])

    move(api, "base:1")

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.error) == (
        DeliveryStatus.FAILED,
        "values.yaml: not UTF-8 text",
    )


@over_https_and_ssh
def test_dry_run_shows_the_diff_and_commits_nothing(api, base, git_server, write_back):
    git_server.create({"values.yaml": VALUES})
    move(api, "base:1")  # the tag has an image before the trigger exists
    write_back([{"file": "values.yaml", "type": "helm"}])

    result = api.post("triggers/gitops/test")

    assert result["succeeded"] is True
    [attempt] = result["delivery"]["attempt_log"]
    assert attempt["commit"] == ""
    assert f"+    digest: '{DIGEST_1}'" in attempt["diff"]
    assert attempt["response_body"] == "dry run: this diff would be committed"
    assert git_server.log() == ["Initial manifests"]


def test_a_review_branch_gets_the_commits_and_the_read_branch_stays(
    api, base, git_server, write_back
):
    git_server.create({"values.yaml": VALUES})
    write_back([{"file": "values.yaml", "type": "helm"}], push_branch="imagestreams/prod")

    move(api, "base:1")
    move(api, "base:2")

    assert git_server.log() == ["Initial manifests"]
    assert git_server.log(ref="imagestreams/prod") == [
        f"Deploy team/app:prod at {DIGEST_2}",
        f"Deploy team/app:prod at {DIGEST_1}",
        "Initial manifests",
    ]


@over_https_and_ssh
def test_the_outbound_guard_refuses_a_git_host_on_an_internal_address(
    api, base, git_server, remote, write_back, settings
):
    git_server.create({"values.yaml": VALUES})
    write_back([{"file": "values.yaml", "type": "helm"}])
    settings.TRIGGER_ALLOW_PRIVATE_ADDRESSES = False

    move(api, "base:1")

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert "internal address 127.0.0.1" in delivery.error
    assert remote.connections() == 0  # no login was tried
    assert TagChange.objects.count() == 1


@over_https_and_ssh
def test_a_server_that_is_down_is_network_trouble_worth_a_retry(
    api, base, git_server, remote, write_back
):
    git_server.create({"values.yaml": VALUES})
    write_back([{"file": "values.yaml", "type": "helm"}])
    remote.stop()

    move(api, "base:1")

    first = Delivery.objects.get().attempt_log.order_by("number").first()
    assert first is not None
    assert first.outcome == AttemptOutcome.RETRY
    assert remote.unreachable in first.error


def test_an_older_change_delivered_late_does_not_overwrite_a_newer_one(
    team, base, git_server, write_back
):
    git_server.create({"values.yaml": VALUES})
    write_back([{"file": "values.yaml", "type": "helm"}])
    for source in ("base:1", "base:2"):
        tag_set(project=team, source=source, destinations=["app:prod"], by=acting_system())
    fan_out()  # the send tasks it queues are never run
    older, newer = Delivery.objects.order_by("change__serial")

    delivery_send(newer.pk)
    attempt = delivery_send(older.pk)  # a retry that comes late

    assert attempt is not None
    assert attempt.response_body == (
        "not written: the tag has changed again since; its newer change is written instead"
    )
    assert git_server.log()[0] == f"Deploy team/app:prod at {DIGEST_2}"
    assert len(git_server.log()) == 2


def test_a_change_with_nothing_to_write_says_what_it_looked_for(api, base, git_server, write_back):
    git_server.create({"job.yaml": MARKED})
    write_back([{"file": "job.yaml", "type": "marker"}], tag="canary")

    move(api, "base:1", tag="canary")

    attempt = Delivery.objects.get().attempt_log.get()
    assert attempt.response_body == (
        'already up to date: job.yaml: no marker {"$imagestream": "team/app:canary"} '
        "(4 marker(s) for other tags); nothing committed"
    )
    assert git_server.log() == ["Initial manifests"]
