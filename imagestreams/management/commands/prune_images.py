"""`manage.py prune_images`: OpenShift's `oc adm prune images` (a dry run
unless --confirm)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from imagestreams.access import acting_system
from imagestreams.operations.pruning import PruneOptions, images_prune, parse_duration
from imagestreams.services.errors import ServiceError

DRY_RUN = "Dry run enabled - no modifications will be made. Add --confirm to remove images"
API_ONLY = "Only API objects will be removed.  No modifications to the image registry will be made."


def boolean(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise ValueError(text)


class Command(BaseCommand):
    help = (
        "Remove old history entries of image streams and the images nothing references "
        "any more (and their manifests in the integrated registry). Nothing is removed "
        "without --confirm."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--confirm",
            action="store_true",
            help="Remove what is listed. Without it, only show what would be removed.",
        )
        parser.add_argument(
            "--keep-tag-revisions",
            type=int,
            default=3,
            help="Newest history entries kept for every tag (default 3).",
        )
        parser.add_argument(
            "--keep-younger-than",
            default="60m",
            help="Keep entries, images and streams younger than this (default 60m).",
        )
        parser.add_argument(
            "--all",
            type=boolean,
            default=True,
            metavar="true|false",
            help="false: prune only images pushed to the integrated registry (default true).",
        )
        parser.add_argument(
            "--prune-registry",
            type=boolean,
            default=True,
            metavar="true|false",
            help="false: remove database objects only, nothing in the integrated registry.",
        )
        parser.add_argument(
            "--project",
            default="",
            help="Prune only the streams of this project (no image is deleted then).",
        )

    def handle(self, *args, **options) -> None:
        try:
            prune_options = PruneOptions(
                keep_tag_revisions=options["keep_tag_revisions"],
                keep_younger_than=parse_duration(options["keep_younger_than"]),
                confirm=options["confirm"],
                all_images=options["all"],
                prune_registry=options["prune_registry"],
                project=options["project"],
            )
            if not prune_options.confirm:
                self.stderr.write(DRY_RUN)
            if not prune_options.prune_registry:
                self.stderr.write(API_ONLY)
            report = images_prune(
                prune_options, by=acting_system("command", "prune_images"), out=self.stdout.write
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        for error in report.errors:
            self.stderr.write(f"error: {error}")
        self.stdout.write(report.summary)
        if report.errors:
            raise CommandError(f"{len(report.errors)} error(s) while pruning; run it again later")
