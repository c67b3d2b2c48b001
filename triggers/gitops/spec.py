"""The options of a Git write-back trigger, checked when it is saved, and
the commit message they make.

Options (all text unless said):
- `branch`: the branch read (default `main`); `push_branch`: the branch
  written (default: `branch`; another one for review, built on top of itself
  once it exists);
- `username`: the HTTPS user name sent with the token (default
  `x-access-token`, which GitHub and Gitea accept; GitLab takes any name with
  a project or personal access token);
- `known_hosts` (SSH URLs only, required there): the Git server's host
  key(s), known_hosts lines or a bare public key (triggers.gitops.ssh
  checks them against the URL's host);
- `author_name`, `author_email`: the commit author and committer;
- `message`: a template with `{project}`, `{stream}`, `{tag}`, `{digest}`,
  `{previous_digest}`, `{pull_spec}`, `{cause}`, `{actor}`, `{trigger}`,
  `{delivery_id}` (Python format fields, nothing else);
- `updates`: a list of what to write where; each has `file` (a path inside
  the repository), `type`, and optionally `tag` (only changes of that tag):
  - `kustomize` + `name`: the `images:` entry of that name gets `newName` and `digest`;
  - `field` + `path`: the value at that path gets the pull spec by digest;
  - `helm` + `repository` and `digest` (paths; default `image.repository`
    and `image.digest`): the repository and the digest, separately;
  - `marker`: values marked `# {"$imagestream": "project/stream:tag"}` (also
    `stream:tag`, and `…:name` or `…:digest` for one part).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

from imagestreams.services.errors import InvalidInput
from imagestreams.services.sources import validate_tag_name
from triggers.gitops.yamledit import EditError, parse_path

DEFAULT_MESSAGE = (
    "Deploy {project}/{stream}:{tag} at {digest}\n\n"
    "Previous: {previous_digest}\nPull spec: {pull_spec}\nCause: {cause} by {actor}\n"
    "Image-Streams-Delivery: {delivery_id}"
)
MESSAGE_FIELDS = frozenset(
    {
        "project",
        "stream",
        "tag",
        "digest",
        "previous_digest",
        "pull_spec",
        "cause",
        "actor",
        "trigger",
        "delivery_id",
    }
)
UPDATE_TYPES = ("kustomize", "field", "helm", "marker")
UPDATE_KEYS = {
    "kustomize": {"name"},
    "field": {"path"},
    "helm": {"repository", "digest"},
    "marker": set(),
}
GIT_OPTIONS = {
    "branch",
    "push_branch",
    "username",
    "known_hosts",
    "author_name",
    "author_email",
    "message",
    "updates",
}
MAX_UPDATES = 50
MAX_MESSAGE = 4000
MAX_TEXT = 255
# Branch names as git check-ref-format allows them, minus anything an option
# parser or a shell could read specially (no leading '-', no spaces).
BRANCH = re.compile(
    r"^(?!-)(?!.*\.\.)(?!.*//)(?!.*@\{)(?!.*\.lock(/|$))[A-Za-z0-9._/-]{1,200}(?<![./])$"
)
EMAIL = re.compile(r"^[^\s<>@]+@[^\s<>@]+$")
AUTHOR_NAME = re.compile(r"^[^<>\n]{1,100}$")


@dataclass(frozen=True)
class Update:
    file: str
    type: str
    tag: str = ""
    name: str = ""
    path: str = ""
    repository: str = "image.repository"
    digest: str = "image.digest"

    def applies_to(self, tag: str) -> bool:
        return not self.tag or self.tag == tag


@dataclass(frozen=True)
class GitOptions:
    branch: str
    push_branch: str
    username: str
    author_name: str
    author_email: str
    message: str
    updates: tuple[Update, ...]
    known_hosts: str = ""

    @classmethod
    def from_options(cls, options: dict) -> GitOptions:
        """Options saved by `validate_git_options` (trusted, defaults filled in)."""
        return cls(
            branch=options["branch"],
            push_branch=options["push_branch"],
            username=options["username"],
            author_name=options["author_name"],
            author_email=options["author_email"],
            message=options["message"],
            updates=tuple(Update(**update) for update in options["updates"]),
            known_hosts=options.get("known_hosts", ""),
        )


def validate_git_options(options: dict) -> dict:
    """The options with defaults filled in, or InvalidInput naming the first problem."""
    unknown = sorted(set(options) - GIT_OPTIONS)
    if unknown:
        raise _invalid(
            f"unknown option(s) for the git preset: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(GIT_OPTIONS))})"
        )
    branch = validate_branch(_text(options, "branch") or "main", "branch")
    push_branch = validate_branch(_text(options, "push_branch") or branch, "push_branch")
    author_name = _text(options, "author_name") or "Image Streams"
    author_email = _text(options, "author_email") or "imagestreams@localhost"
    if not AUTHOR_NAME.match(author_name):
        raise _invalid("author_name must be one line without < or >")
    if not EMAIL.match(author_email):
        raise _invalid(f"author_email {author_email!r} is not an e-mail address")
    message = options.get("message") or DEFAULT_MESSAGE
    validate_message(message)
    updates = options.get("updates")
    if not isinstance(updates, list) or not 1 <= len(updates) <= MAX_UPDATES:
        raise _invalid(
            f"updates must be a list of 1 to {MAX_UPDATES} updates, e.g. "
            '[{"file": "overlays/prod/kustomization.yaml", "type": "kustomize", "name": "app"}]'
        )
    checked = {
        "branch": branch,
        "push_branch": push_branch,
        "username": _text(options, "username") or "x-access-token",
        "author_name": author_name,
        "author_email": author_email,
        "message": message,
        "updates": [_validate_update(number, update) for number, update in enumerate(updates, 1)],
    }
    known_hosts = options.get("known_hosts")
    if known_hosts:  # checked against the URL's host by the triggers service
        if not isinstance(known_hosts, str):
            raise _invalid("known_hosts must be a text: known_hosts lines or a public host key")
        checked["known_hosts"] = known_hosts
    return checked


def validate_branch(name: str, field: str) -> str:
    if not BRANCH.match(name):
        raise _invalid(
            f"{field} {name!r} is not a valid branch name (letters, digits, '.', '_', '-' and '/'; "
            "no leading '-', no '..')"
        )
    return name


def validate_file(path: str) -> str:
    """A relative path that stays inside the repository (symlinks are
    checked again in the checkout itself)."""
    parts = path.split("/")
    if (
        not path
        or len(path) > 1024
        or path.startswith("/")
        or "\\" in path
        or "\0" in path
        or any(part in ("", ".", "..") for part in parts)
        or parts[0] == ".git"
    ):
        raise _invalid(
            f"file {path!r} must be a relative path inside the repository "
            "(no leading '/', no '..', no '.git')"
        )
    return path


def validate_message(message: Any) -> None:
    if not isinstance(message, str) or not message.strip() or len(message) > MAX_MESSAGE:
        raise _invalid(f"message must be a text of at most {MAX_MESSAGE} characters")
    try:
        parsed = list(string.Formatter().parse(message))
    except ValueError as exc:
        raise _invalid(f"message is not a valid template: {exc}") from None
    # Plain names only: "{digest.__class__}" or "{tag[0]}" are unknown fields.
    unknown = sorted({name for _, name, _, _ in parsed if name is not None} - MESSAGE_FIELDS)
    if unknown:
        raise _invalid(
            f"message uses unknown field(s) {', '.join('{' + name + '}' for name in unknown)} "
            f"(known: {', '.join(sorted(MESSAGE_FIELDS))})"
        )
    try:
        render_message(message, {name: "x" for name in MESSAGE_FIELDS})
    except (ValueError, KeyError, IndexError) as exc:
        raise _invalid(f"message is not a valid template: {exc}") from None


def render_message(message: str, values: dict[str, str]) -> str:
    """Only plain field names are accepted (checked at save): no attribute or
    item access reaches into the values."""
    return message.format_map({name: values.get(name, "") for name in MESSAGE_FIELDS})


def _validate_update(number: int, update: Any) -> dict:
    where = f"update {number}"
    if not isinstance(update, dict):
        raise _invalid(f"{where} must be an object with file and type")
    kind = update.get("type")
    if kind not in UPDATE_TYPES:
        raise _invalid(f"{where}: type must be one of {', '.join(UPDATE_TYPES)}")
    allowed = {"file", "type", "tag"} | UPDATE_KEYS[kind]
    unknown = sorted(set(update) - allowed)
    if unknown:
        raise _invalid(f"{where}: unknown key(s) for type {kind}: {', '.join(unknown)}")
    if not all(isinstance(value, str) for value in update.values()):
        raise _invalid(f"{where}: every value must be a text")
    clean = {key: value.strip() for key, value in update.items()}
    validate_file(clean.get("file", ""))
    if clean.get("tag"):
        validate_tag_name(clean["tag"])
    if kind == "kustomize" and not clean.get("name"):
        raise _invalid(f"{where}: name (the images entry's name) is required")
    for key in ("path", "repository", "digest"):
        if key in UPDATE_KEYS[kind]:
            clean.setdefault(key, Update.__dataclass_fields__[key].default)
            if not clean[key]:
                raise _invalid(f"{where}: {key} is required")
            try:
                parse_path(clean[key])
            except EditError as exc:
                raise _invalid(f"{where}: {exc}") from None
    return clean


def _text(options: dict, name: str) -> str:
    value = options.get(name, "")
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise _invalid(f"option {name} must be a text of at most {MAX_TEXT} characters")
    return value.strip()


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, field="options")
