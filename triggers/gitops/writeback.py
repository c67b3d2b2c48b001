"""One Git write-back: fetch the branch, write the image into the files,
commit, push; on a rejected push fetch again and re-apply (bounded).

Each attempt works in a fresh temporary directory with a shallow fetch, so
concurrent deliveries to one repository never share a working tree; they
meet at the push, where the loser fetches the winner's commit and re-applies
its own change on top: both land, each as its own commit. Re-applying is
computing the edit again from the data, never a textual rebase, so it
cannot conflict; and when the files already say the image, nothing is
committed (no empty commits, and a re-sent delivery is a no-op).

Plain Python and `git`, no Django: `triggers.services.deliveries` calls it
with the trigger's settings and turns the outcome into a delivery attempt.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from triggers.gitops import yamledit
from triggers.gitops.git import AUTH, HOST_KEY, NOT_FOUND, Git, GitError, Remote
from triggers.gitops.spec import GitOptions, Update, render_message
from triggers.gitops.yamledit import EditError, Image

MAX_DIFF = 20000


@dataclass(frozen=True)
class WriteChange:
    """The change to write and the facts its commit message may use."""

    project: str
    stream: str
    tag: str
    digest: str
    previous_digest: str
    pull_spec: str
    cause: str
    actor: str
    trigger: str
    delivery_id: str

    @property
    def reference(self) -> str:
        return f"{self.project}/{self.stream}:{self.tag}"

    @property
    def image(self) -> Image:
        return Image.from_pull_spec(self.pull_spec, self.digest)


@dataclass(frozen=True)
class Limits:
    deadline_seconds: float
    max_file_bytes: int
    push_retries: int


@dataclass
class Outcome:
    """`committed`, `up_to_date`, `superseded` or `dry_run` on success;
    otherwise `error` is set."""

    state: str = ""
    commit: str = ""
    diff: str = ""
    summary: str = ""
    error: str = ""
    error_kind: str = ""
    pushes: int = 0

    @property
    def permanent(self) -> bool:
        return GitError(self.error_kind, "").permanent


class ApplyFailed(Exception):
    """An update cannot be applied to the checked-out files (a permanent failure)."""


def write_back(
    change: WriteChange,
    *,
    remote: Remote,
    options: GitOptions,
    limits: Limits,
    dry_run: bool = False,
    superseded: Callable[[], str] = lambda: "",
) -> Outcome:
    """Write `change` into the repository; never raises for Git or file trouble.

    `superseded()` is asked before every push: a reason not to write this
    change any more (a newer change of the tag exists), or empty."""
    deadline = time.monotonic() + limits.deadline_seconds
    with tempfile.TemporaryDirectory(prefix="imagestreams-git-") as scratch:
        workdir = Path(scratch) / "repo"
        workdir.mkdir()
        try:
            git = Git(workdir, remote, deadline=deadline)
            return _write(git, change, options, limits, dry_run=dry_run, superseded=superseded)
        except GitError as exc:
            return Outcome(error=_explain(exc, options, remote), error_kind=exc.kind)
        except ApplyFailed as exc:
            return Outcome(error=str(exc), error_kind=NOT_FOUND)


def _write(
    git: Git,
    change: WriteChange,
    options: GitOptions,
    limits: Limits,
    *,
    dry_run: bool,
    superseded: Callable[[], str],
) -> Outcome:
    git.run("init", "-q")
    git.run("remote", "add", "origin", git.remote.url)
    for push in range(limits.push_retries + 1):
        _checkout(git, options)
        files, notes = _apply(git.workdir, change, options.updates, limits.max_file_bytes)
        if not files:
            said = f"{options.push_branch} already says {change.image.pull_spec}"
            return Outcome(
                state="up_to_date",
                summary=f"already up to date: {'; '.join(notes) or said}; nothing committed",
                pushes=push,
            )
        git.run("add", "--", *files)
        diff = git.run("diff", "--cached", "--no-color", "--no-ext-diff")[:MAX_DIFF]
        if dry_run:
            return Outcome(
                state="dry_run", diff=diff, summary="dry run: this diff would be committed"
            )
        if reason := superseded():
            # An older change pushed after a newer one would put the repository behind the tag.
            return Outcome(state="superseded", summary=f"not written: {reason}", pushes=push)
        commit = _commit(git, change, options)
        try:
            git.run("push", "--porcelain", "origin", f"HEAD:refs/heads/{options.push_branch}")
        except GitError as exc:
            if exc.kind != "rejected" or push == limits.push_retries:
                raise
            # Someone pushed first: back off a little, then fetch and re-apply.
            time.sleep(random.uniform(0.05, 0.3) * (push + 1))
            continue
        retried = f" (re-applied after {push} rejected push(es))" if push else ""
        return Outcome(
            state="committed",
            commit=commit,
            diff=diff,
            summary=f"pushed {commit[:12]} to {options.push_branch}{retried}",
            pushes=push + 1,
        )
    raise AssertionError("unreachable: the last rejected push raised")


def _checkout(git: Git, options: GitOptions) -> None:
    """The push branch when it exists (a review branch builds on itself), else the read branch."""
    branches = [options.push_branch]
    if options.branch != options.push_branch:
        branches.append(options.branch)
    for number, branch in enumerate(branches, 1):
        try:
            git.run("fetch", "-q", "--depth", "1", "--no-tags", "origin", f"refs/heads/{branch}")
            break
        except GitError as exc:
            if exc.kind != NOT_FOUND or number == len(branches):
                raise
    git.run("checkout", "-q", "-f", "-B", "imagestreams-work", "FETCH_HEAD")


def _apply(
    workdir: Path, change: WriteChange, updates: tuple[Update, ...], max_bytes: int
) -> tuple[list[str], list[str]]:
    """Write every update that applies to the changed tag: the files that
    changed, and notes on what found nothing to write (no silent no-ops)."""
    contents: dict[str, str] = {}
    applicable = [update for update in updates if update.applies_to(change.tag)]
    notes = [] if applicable else [f"no update of this trigger is for tag {change.tag}"]
    for update in applicable:
        path = checked_file(workdir, update.file, max_bytes)
        before = contents.get(update.file)
        if before is None:
            try:
                before = path.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                raise ApplyFailed(f"{update.file}: not UTF-8 text") from None
        try:
            contents[update.file], note = _edit(before, update, change)
        except EditError as exc:
            raise ApplyFailed(f"{update.file}: {exc}") from None
        if note:
            notes.append(f"{update.file}: {note}")
    changed = []
    for name, text in contents.items():
        path = workdir / name
        if text.encode() != path.read_bytes():
            path.write_bytes(text.encode())
            changed.append(name)
    return changed, notes


def _edit(text: str, update: Update, change: WriteChange) -> tuple[str, str]:
    """The edited text, and a note when a marker update found nothing to edit."""
    image = change.image
    note = ""
    if update.type == "kustomize":
        edits = yamledit.kustomize_edits(text, update.name, image)
    elif update.type == "field":
        edits = yamledit.field_edits(text, update.path, image.pull_spec)
    elif update.type == "helm":
        edits = yamledit.field_edits(text, update.repository, image.repository)
        edits += yamledit.field_edits(text, update.digest, image.digest)
    else:
        edits, report = yamledit.marker_edits(text, change.reference, image, project=change.project)
        if not report.matched:
            note = (
                f'no marker {{"$imagestream": "{change.reference}"}} '
                f"({report.found} marker(s) for other tags)"
            )
            if update.tag:  # this update is for this very tag: a missing marker is an error
                raise EditError(note)
    return yamledit.apply(text, edits), note


def checked_file(workdir: Path, name: str, max_bytes: int) -> Path:
    """The file `name` of the checkout: inside it, no symlink on the way, not too big."""
    path = workdir
    for part in name.split("/"):
        path = path / part
        if path.is_symlink():
            raise ApplyFailed(f"{name}: {part} is a symbolic link; links are not followed")
    if not str(path.resolve()).startswith(str(workdir.resolve()) + os.sep):
        raise ApplyFailed(f"{name}: the path leaves the repository")
    if not path.is_file():
        raise ApplyFailed(f"{name}: file not found on the branch")
    size = path.stat().st_size
    if size > max_bytes:
        raise ApplyFailed(f"{name}: {size} bytes, more than the {max_bytes} bytes allowed")
    return path


def _commit(git: Git, change: WriteChange, options: GitOptions) -> str:
    message = render_message(options.message, change.__dict__)
    author = f"{options.author_name} <{options.author_email}>"
    git.run(
        "-c", f"user.name={options.author_name}", "-c", f"user.email={options.author_email}",
        "commit", "-q", "--no-verify", "--author", author, "-F", "-",
        input=message,
    )  # fmt: skip
    return git.run("rev-parse", "HEAD").strip()


def _explain(exc: GitError, options: GitOptions, remote: Remote) -> str:
    if exc.kind == AUTH and remote.ssh_url:
        return (
            "authentication failed: the Git host refused the deploy key (not added to the "
            f"repository, or without write access to {options.push_branch}); {exc.message}"
        )
    if exc.kind == AUTH:
        return (
            "authentication failed: the Git host refused the token (wrong or expired, or "
            f"without write access to {options.push_branch}); {exc.message}"
        )
    if exc.kind == HOST_KEY:
        return (
            "host key mismatch: the server's SSH host key is not one of the trigger's "
            "known_hosts (the key was changed, or someone is in between); nothing was sent. "
            f"Check the server's key and update known_hosts; {exc.message}"
        )
    if exc.kind == NOT_FOUND:
        return f"repository or branch not found (branch {options.branch}): {exc.message}"
    if exc.kind == "rejected":
        return f"conflict: the push was still rejected after re-applying; {exc.message}"
    return exc.message
