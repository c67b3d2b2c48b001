"""`manage.py serve_metrics`: the counters and histograms the processes of
this machine recorded (its PROMETHEUS_MULTIPROC_DIR), for Prometheus to
scrape on machines that run workers but no web process. The gauges read from
the database stay on /metrics."""

from __future__ import annotations

from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.core.management.base import BaseCommand, CommandError, CommandParser
from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.multiprocess import MultiProcessCollector

from imagestreams.operations.metrics import multiprocess_directory


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args) -> None:  # one line per scrape is noise
        pass


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = (
        "Serve the counters recorded by the processes of this machine "
        "(PROMETHEUS_MULTIPROC_DIR) in Prometheus' format, for worker-only machines."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--address", default="0.0.0.0", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=9464, help="Port (0: any free port).")

    def handle(self, *args, address: str, port: int, **options) -> None:
        directory = multiprocess_directory()
        if not directory:
            raise CommandError(
                "PROMETHEUS_MULTIPROC_DIR is not set: the workers of this machine must "
                "record into a directory this command can read"
            )
        registry = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(registry, path=directory)
        server = make_server(address, port, make_wsgi_app(registry), handler_class=_QuietHandler)
        self.stdout.write(f"serving metrics on http://{address}:{server.server_port}/", ending="\n")
        self.stdout.flush()
        server.serve_forever()
