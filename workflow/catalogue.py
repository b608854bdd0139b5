"""The hardware catalogue in use, and its refresh from the Hub (a use case of the admin and the workers).

The catalogue in use is the one last read from the Hub's ``list_spaces_hardware``, else the dated
default table shipped with the code. A refresh reads the Hub first, outside any transaction, and
stores the reading only when it is a usable list: a Hub failure, or a reply that is empty or
malformed, leaves the stored catalogue as it was and says why (the table is never emptied).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from db.models import HardwareCatalogue
from db.repositories.hardware import HardwareRepository
from db.uow import UnitOfWork
from workflow.access import Actor, Scope
from workflow.core.hardware import (
    DEFAULT_CATALOGUE,
    HUB_SOURCE,
    Catalogue,
    CatalogueError,
    flavour_from_json,
    flavour_to_json,
    parse_spaces_hardware,
    require_usable,
)
from workflow.events import utcnow

log = structlog.get_logger(__name__)

HUB_HARDWARE_INVALID = "HUB_HARDWARE_INVALID"
"""The code of a refresh whose Hub reply was not a usable hardware list."""


class SourceFailure(Exception):  # noqa: N818  (an outcome the caller reports, with a stable code)
    """Reading the Hub's hardware list failed: a stable code (``HUB_UNAVAILABLE``…), a message, and
    whether trying again later may help."""

    def __init__(self, code: str, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.transient = transient


HardwareSource = Callable[[], Awaitable[Any]]
"""Reads the Hub's hardware list (``list_spaces_hardware``-shaped JSON rows); raises ``SourceFailure``."""


@dataclass(frozen=True)
class CurrentCatalogue:
    """The catalogue in use; ``fetched_at`` and ``endpoint`` are ``None`` for the shipped default table."""

    catalogue: Catalogue
    fetched_at: datetime | None = None
    endpoint: str | None = None

    @property
    def from_hub(self) -> bool:
        """Whether this is a reading of the Hub (not the default table)."""
        return self.fetched_at is not None


@dataclass(frozen=True)
class Refreshed:
    """A usable list was read. ``stored`` is false when a reading fetched later was already stored
    (two refreshes racing); ``current`` is what is in use now either way."""

    current: CurrentCatalogue
    stored: bool


@dataclass(frozen=True)
class RefreshFailed:
    """Nothing was stored: the Hub failed or sent no usable list; ``kept`` is the catalogue still in use."""

    code: str
    message: str
    transient: bool
    kept: CurrentCatalogue


async def current(hardware: HardwareRepository) -> CurrentCatalogue:
    """The catalogue in use: the stored reading of the Hub, else the default table."""
    return catalogue_of(await hardware.current())


def catalogue_of(row: HardwareCatalogue | None) -> CurrentCatalogue:
    """The catalogue a stored row holds (the default table without one)."""
    if row is None:
        return CurrentCatalogue(DEFAULT_CATALOGUE)
    flavours = tuple(flavour_from_json(raw) for raw in row.flavours)
    catalogue = Catalogue(flavours, row.source, row.fetched_at.isoformat(), tuple(row.notes))
    return CurrentCatalogue(catalogue, row.fetched_at, row.endpoint)


async def refresh(
    open_uow: Callable[[], UnitOfWork], actor: Actor | None, source: HardwareSource, *, endpoint: str
) -> Refreshed | RefreshFailed:
    """Read the Hub's hardware list and store it as the catalogue in use, if it is usable.

    ``actor`` is the admin asking (``None`` for the periodic job); the Hub is read outside any
    transaction and the reading is stored in one.
    """
    if actor is not None:
        actor.require(Scope.ADMIN)
    fetched_at = utcnow()
    try:
        catalogue = require_usable(parse_spaces_hardware(await source(), as_of=fetched_at.isoformat()))
    except SourceFailure as failure:
        return await _failed(open_uow, failure.code, failure.message, transient=failure.transient)
    except CatalogueError as error:
        message = f"The Hub's hardware list is not usable: {error}"
        return await _failed(open_uow, HUB_HARDWARE_INVALID, message, transient=False)
    async with open_uow() as uow:
        stored = await uow.hardware.replace(
            source=HUB_SOURCE,
            endpoint=endpoint,
            fetched_at=fetched_at,
            flavours=[flavour_to_json(flavour) for flavour in catalogue.flavours],
            notes=catalogue.notes,
        )
        now = await current(uow.hardware)
    log.info("hardware catalogue refreshed", flavours=len(catalogue.flavours), stored=stored)
    return Refreshed(now, stored)


async def _failed(open_uow: Callable[[], UnitOfWork], code: str, message: str, *, transient: bool) -> RefreshFailed:
    log.warning("hardware catalogue not refreshed; the stored one is kept", code=code, reason=message)
    async with open_uow() as uow:
        kept = await current(uow.hardware)
    return RefreshFailed(code, message, transient, kept)
