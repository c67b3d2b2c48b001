"""Run-time operator settings: the stored overrides, cached briefly per
process, and the one service that changes them.

Reading happens on hot paths (every import, every sweep), so each process
keeps what it read for OPERATOR_SETTINGS_CACHE_SECONDS; a change made in the
admin reaches every web and worker process within that time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, fields

from django.conf import settings
from django.db import DatabaseError, transaction

from imagestreams import audit
from imagestreams.models import OperatorSettings
from imagestreams.models.operations import SINGLETON_ID
from imagestreams.models.streams import ImportMode
from imagestreams.operations.registries import InvalidLocation, RegistryLocation, parse_locations
from imagestreams.services.errors import InvalidInput


@dataclass(frozen=True)
class Overrides:
    """What the operator set; None (or empty) means the environment's value."""

    allowed_registries_for_import: tuple[RegistryLocation, ...] = ()
    insecure_registries: tuple[str, ...] = ()
    scheduled_interval: int | None = None
    scheduled_minimum_interval: int | None = None
    registry_max_concurrency: int | None = None
    registry_requests_per_second: float | None = None
    registry_timeout: float | None = None
    max_images_bulk_imported: int | None = None
    default_import_mode: str = ""
    import_private_addresses: bool | None = None
    webhook_private_addresses: bool | None = None


NOTHING = Overrides()
_lock = threading.Lock()
_cached: tuple[float, Overrides] | None = None


def overrides() -> Overrides:
    global _cached
    now = time.monotonic()
    cached = _cached
    if cached is not None and now - cached[0] < settings.OPERATOR_SETTINGS_CACHE_SECONDS:
        return cached[1]
    value = _load()
    with _lock:
        _cached = (now, value)
    return value


def forget() -> None:
    """Drop this process's copy; the next read goes to the database."""
    global _cached
    with _lock:
        _cached = None


def _load() -> Overrides:
    try:
        # A savepoint, so that a missing table (before `migrate`) does not
        # break a surrounding transaction.
        with transaction.atomic():
            row = OperatorSettings.objects.filter(pk=SINGLETON_ID).first()
    except DatabaseError:
        return NOTHING
    return overrides_of(row) if row is not None else NOTHING


def overrides_of(row: OperatorSettings) -> Overrides:
    try:
        allowed = tuple(parse_locations(row.allowed_registries_for_import))
    except InvalidLocation:
        allowed = ()  # refused when saved; never reached
    return Overrides(
        allowed_registries_for_import=allowed,
        insecure_registries=tuple(_hosts(row.insecure_registries)),
        scheduled_interval=row.scheduled_interval,
        scheduled_minimum_interval=row.scheduled_minimum_interval,
        registry_max_concurrency=row.registry_max_concurrency,
        registry_requests_per_second=row.registry_requests_per_second,
        registry_timeout=row.registry_timeout,
        max_images_bulk_imported=row.max_images_bulk_imported,
        default_import_mode=row.default_import_mode,
        import_private_addresses=row.import_private_addresses,
        webhook_private_addresses=row.webhook_private_addresses,
    )


def _hosts(text: str) -> list[str]:
    return [item.strip().lower() for item in text.replace(",", "\n").splitlines() if item.strip()]


# --- the service ---------------------------------------------------------------

EDITABLE = [f.name for f in fields(Overrides)]
POSITIVE_NUMBERS = {
    "scheduled_interval": 1,
    "scheduled_minimum_interval": 1,
    "registry_max_concurrency": 1,
    "registry_requests_per_second": 0.01,
    "registry_timeout": 0.1,
}


def operator_settings_get() -> OperatorSettings:
    """The stored row, or an unsaved one with nothing overridden."""
    return OperatorSettings.objects.filter(pk=SINGLETON_ID).first() or OperatorSettings()


def operator_settings_update(*, changes: dict, actor: str = "") -> OperatorSettings:
    """Change some operator settings; every value is checked before anything
    is written. Empty values ("" or None) go back to the environment's."""
    cleaned = operator_settings_clean(changes)
    with transaction.atomic():
        OperatorSettings.objects.get_or_create(pk=SINGLETON_ID)
        row = OperatorSettings.objects.select_for_update().get(pk=SINGLETON_ID)
        before = {name: _shown(getattr(row, name)) for name in cleaned}
        for name, value in cleaned.items():
            setattr(row, name, value)
        row.updated_by = actor
        row.save()
        after = {name: _shown(getattr(row, name)) for name in cleaned}
        if before != after:
            audit.record("operator_settings.update", project=None, before=before, after=after)
        transaction.on_commit(forget)
    forget()
    return row


def operator_settings_clean(changes: dict) -> dict:
    """The values as they will be stored; InvalidInput (with the field) for
    the first one that is wrong."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"unknown operator settings: {', '.join(unknown)}")
    return {name: _clean(name, value) for name, value in changes.items()}


def _shown(value):
    return value if value not in ("", None) else None


def _clean(name: str, value):
    if value in ("", None):
        return "" if name in TEXT_FIELDS else None
    if name == "allowed_registries_for_import":
        try:
            return _text(parse_locations(str(value)))
        except InvalidLocation as exc:
            raise InvalidInput(str(exc), field=name) from None
    if name == "insecure_registries":
        return "\n".join(_hosts(str(value)))
    if name == "default_import_mode":
        if value not in ImportMode.values:
            raise InvalidInput("valid ImportMode values are Legacy or PreserveOriginal", field=name)
        return value
    if name in ("import_private_addresses", "webhook_private_addresses"):
        if not isinstance(value, bool):
            raise InvalidInput(f"{name} must be true, false or empty", field=name)
        return value
    return _number(name, value)


TEXT_FIELDS = {"allowed_registries_for_import", "insecure_registries", "default_import_mode"}


def _text(locations: list[RegistryLocation]) -> str:
    return "\n".join(str(location) for location in locations)


def _number(name: str, value):
    kind = int if name != "registry_requests_per_second" and name != "registry_timeout" else float
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a number", field=name) from None
    if name == "max_images_bulk_imported":
        if number < -1:
            raise InvalidInput(f"{name} must be -1 (no limit) or more", field=name)
        return number
    minimum = POSITIVE_NUMBERS[name]
    if number < minimum:
        raise InvalidInput(f"{name} must be at least {minimum}", field=name)
    return number
