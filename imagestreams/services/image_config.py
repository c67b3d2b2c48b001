"""Changing the operator's image configuration (the admin's one page)."""

from __future__ import annotations

from django.db import transaction

from imagestreams import audit
from imagestreams.access import Principal
from imagestreams.image_config import host_lines
from imagestreams.models import OperatorSettings
from imagestreams.models.operations import SINGLETON_ID
from imagestreams.operations.registries import (
    InvalidLocation,
    format_locations,
    parse_blocked,
    parse_locations,
)
from imagestreams.services.errors import InvalidInput

EDITABLE = ("allowed_registries_for_import", "insecure_registries", "blocked_registries")


def image_config_update(*, by: Principal, changes: dict) -> OperatorSettings:
    """Change some of the image configuration; every value is checked before
    anything is written."""
    cleaned = image_config_clean(changes)
    with transaction.atomic():
        OperatorSettings.objects.get_or_create(pk=SINGLETON_ID)
        row = OperatorSettings.objects.select_for_update().get(pk=SINGLETON_ID)
        before = {name: getattr(row, name) for name in cleaned}
        for name, value in cleaned.items():
            setattr(row, name, value)
        row.updated_by = by.name
        row.save(update_fields=[*cleaned, "updated", "updated_by"])
        if before != cleaned:
            audit.record(
                "operator_settings.update", by=by, project=None, before=before, after=cleaned
            )
    return row


def image_config_clean(changes: dict) -> dict[str, str]:
    """The values as they will be stored; InvalidInput (with the field) for
    the first one that is wrong."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"unknown operator settings: {', '.join(unknown)}")
    return {name: _clean(name, str(value or "")) for name, value in changes.items()}


def _clean(name: str, value: str) -> str:
    try:
        if name == "allowed_registries_for_import":
            return format_locations(parse_locations(value))
        if name == "blocked_registries":
            return "\n".join(parse_blocked(value))
    except InvalidLocation as exc:
        raise InvalidInput(str(exc), field=name) from None
    return "\n".join(host_lines(value))
