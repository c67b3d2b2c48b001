"""Benchmarks of the service against its registry and the usual alternatives.

`bench/run` (or `python -m bench`) sets up its own registry, database, broker,
web server, workers and webhook receiver, runs every benchmark of issue 8 and
writes docs/benchmarks.md with the charts next to it. `--smoke` runs a tiny
version of everything (CI keeps it working; no figure of a smoke run means
anything).
"""
