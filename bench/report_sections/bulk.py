"""Section 5 of docs/benchmarks.md, the bulk import, and its row in the summary
of targets."""

from __future__ import annotations

from bench.report import profile_note, request_counts, s, table, target_row


def section(results: dict, pictures: dict[str, str]) -> str:
    data = results["bulk"]
    rows = []
    every = []
    if "import_every_config" in data:
        every = [
            (
                "the same, every config read (as with a config per tag)",
                data["import_every_config"],
                data["import_every_config_seconds"],
            )
        ]
    for label, runs, seconds in (
        ("`import-image --all` (the service)", data["import"], data["import_seconds"]),
        *every,
        (
            "`skopeo list-tags` + `inspect --no-tags` per tag",
            data["skopeo"],
            data["skopeo_seconds"],
        ),
    ):
        rate = f"{data['tags'] / seconds['median']:.0f}"
        rows.append(
            [label, s(seconds, " s", 2), rate, runs[0]["requests_per_tag"], request_counts(runs[0])]
        )
    header = ["client", "time", "tags/s", "requests/tag", "registry requests"]
    return f"""## 5. Bulk import of a repository with {data["tags"]:,} tags

`import_image(target, from_image=<repository>, all=True, confirm=True)` with
`IMAGESTREAMS_MAX_IMAGES_BULK_IMPORTED=-1` (the service behind `isctl import-image --all
--confirm` and `POST /api/v1/projects/{{project}}/imports`), called in the driver so that no web
server timeout cuts it short; each run imports into a new stream with none of the images
known beforehand. The service fetches IMAGESTREAMS_REGISTRY_MAX_CONCURRENCY (4) tags at a
time, each request paced by the per-registry limits (the rate limit is lifted here, as for the
sweeps), and asks for no HEAD first since there is no digest to compare with; the threads
share the blobs they read, so a config several tags share is read once (here every tag is
one image with its own annotations: one config for all, so one config GET in all; with a
config per tag it would be 2 requests per tag). It then writes the tags new to the stream
together (images, tags, history entries, change feed, audit: a few statements whatever the
number of tags) in one transaction, and the triggers are told of the changes in one fan-out
task per 100 changes. Each run starts once the worker has fanned out the changes of the
run before. Against it: skopeo reading the same metadata (manifest and config of every tag,
one after the other; it copies no layers). Requests are counted in the registry's access
log.

{table(header, rows)}

- The import is **{s(data["speedup"], "x")}** faster than the skopeo loop{_every(data)}.
- SQL statements of the import: {_statements(data["import"])}.

{profile_note(data["import"][-1].get("profile", {}), "the driver during the last import")}"""


def _every(data: dict) -> str:
    if "speedup_every_config" not in data:
        return ""
    return f"; **{s(data['speedup_every_config'], 'x')}** when it reads every config"


def _statements(runs: list[dict]) -> str:
    if "statements" not in runs[0]:
        return "not counted in this run"
    per_tag = runs[0]["statements_per_tag"]
    return f"**{runs[0]['statements']:,}** in all, **{per_tag}** per tag"


def targets(bulk: dict) -> list[list]:
    speedup = bulk["speedup"]
    measured = s(speedup, "x")
    return [target_row("Bulk import vs skopeo", ">= 5x", measured, speedup["median"], 5, True)]
