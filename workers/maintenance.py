"""Housekeeping actors: records that only matter for a while are pruned on a schedule."""

from __future__ import annotations

from datetime import timedelta

import dramatiq
import structlog

from trainpack.database import unit_of_work
from trainpack.settings import load_settings
from workflow.drafts import utcnow

log = structlog.get_logger(__name__)

IDEMPOTENCY_RETENTION = timedelta(hours=24)
PRUNE_EVERY_SECONDS = 3600.0


@dramatiq.actor(actor_name="maintenance.prune", max_retries=3, time_limit=60_000)
async def prune() -> None:
    """Forget idempotency records past their retention (a retry after a day is a new request)."""
    settings = load_settings()
    assert settings.database_url, "the worker needs DATABASE_URL"
    async with unit_of_work(settings.database_url) as uow:
        removed = await uow.idempotency.delete_older_than(utcnow() - IDEMPOTENCY_RETENTION)
    log.info("pruned idempotency records", removed=removed)
