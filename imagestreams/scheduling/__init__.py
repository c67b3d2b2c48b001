"""Scheduled imports: tags that follow their upstream by themselves.

- ``claims``: which scheduled tags are due, and claiming them in the database
  so that no two workers check a tag in the same interval;
- ``sweep``: what beat runs every few seconds (enrol, claim, hand out batches);
- ``checks``: checking one claimed batch against its registry, with bounded
  concurrency, and writing the outcome (bulk for unchanged tags);
- ``limits``: per-registry pacing and concurrency inside a worker process;
- ``backoff``: when a failing tag is tried again;
- ``policies``: "follow the highest upstream tag matching a rule";
- ``services``: entry points for interfaces (set a policy, check a
  repository's tags now).
"""
