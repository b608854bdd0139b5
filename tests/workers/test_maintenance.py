"""The maintenance actor, run by a real Dramatiq worker on a real Redis."""

from __future__ import annotations

import uuid
from datetime import timedelta

import dramatiq
import pytest
from sqlalchemy import update

from db.models import IdempotencyRecord
from trainpack.database import unit_of_work
from trainpack.settings import Settings
from workers.broker import redis_broker
from workflow.drafts import utcnow


async def _records(database_url: str) -> tuple[uuid.UUID, set[str]]:
    async with unit_of_work(database_url) as uow:
        organisation = await uow.tokens.add_organisation(f"org-{uuid.uuid4().hex[:10]}")
        for key in ("old", "fresh"):
            await uow.idempotency.put(organisation.id, key, "saveDraft", "h", {})
        await uow.session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.organisation_id == organisation.id, IdempotencyRecord.key == "old")
            .values(created_at=utcnow() - timedelta(days=2))
        )
    return organisation.id, {"old", "fresh"}


async def _keys(database_url: str, organisation_id: uuid.UUID) -> set[str]:
    async with unit_of_work(database_url) as uow:
        return {key for key in ("old", "fresh") if await uow.idempotency.get(organisation_id, key)}


async def test_prune_forgets_only_expired_idempotency_records(
    database_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    broker = redis_broker(Settings(redis_url=redis_url, queue_namespace=f"test-{uuid.uuid4().hex[:8]}"))
    broker.flush_all()
    from workers import maintenance

    organisation_id, keys = await _records(database_url)
    assert await _keys(database_url, organisation_id) == keys
    broker.declare_actor(maintenance.prune)
    maintenance.prune.send()
    worker = dramatiq.Worker(broker, worker_threads=1)
    worker.start()
    try:
        broker.join(maintenance.prune.queue_name, timeout=30_000)
        worker.join()
    finally:
        worker.stop()
    assert await _keys(database_url, organisation_id) == {"fresh"}
