"""What `manage.py serve` sets up on the first run, so that someone trying the
service has an account and a project to start from (docs/tutorial.md starts
from the same)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from imagestreams.models import Project

ADMIN_USERNAME = "admin"
DEFAULT_PROJECT = "default"


def first_run_needed() -> bool:
    return not get_user_model().objects.filter(is_superuser=True).exists()


def first_run_setup(password: str) -> None:
    """The first admin account (`admin`) and a project `default`."""
    get_user_model().objects.create_superuser(ADMIN_USERNAME, "admin@localhost", password)
    Project.objects.get_or_create(name=DEFAULT_PROJECT, defaults={"display_name": "Default"})
