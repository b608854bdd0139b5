"""The periodic refresh of the Spaces hardware catalogue from the Hub (``hardware.refresh``).

Every worker process sends it on a timer; the catalogue is global and a refresh replaces it whole,
so duplicates are harmless, and one whose stored catalogue is still fresh skips the Hub. It is not
a job row: jobs belong to a package of an organisation, the catalogue to nobody.
"""

from __future__ import annotations

from datetime import timedelta

import dramatiq
import structlog

from workers.database import unit_of_work, worker_settings
from workers.integrations.spaces_hardware import hub_hardware_source
from workflow import catalogue
from workflow.events import utcnow

log = structlog.get_logger(__name__)

FRESH_FRACTION = 0.5
"""A stored catalogue younger than this share of the refresh interval is not read again."""


@dramatiq.actor(actor_name="hardware.refresh", max_retries=0, time_limit=120_000)
async def refresh() -> None:
    """Read the Hub's hardware list and store it, unless the stored one is fresh; a failure keeps it."""
    await refresh_if_stale()


async def refresh_if_stale() -> None:
    """The actor's body (a failed read is logged and waits for the next tick: the timer is the retry)."""
    settings = worker_settings()
    async with unit_of_work() as uow:
        stored = await uow.hardware.current()
    fresh_for = timedelta(seconds=settings.hardware_refresh_seconds * FRESH_FRACTION)
    if stored is not None and utcnow() - stored.fetched_at < fresh_for:
        log.debug("hardware catalogue is fresh; not read again", fetched_at=stored.fetched_at.isoformat())
        return
    outcome = await catalogue.refresh(unit_of_work, None, hub_hardware_source(settings), endpoint=settings.hf_endpoint)
    if isinstance(outcome, catalogue.RefreshFailed):
        log.warning("periodic hardware refresh failed", code=outcome.code, transient=outcome.transient)
