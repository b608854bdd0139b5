"""Idempotency records: the first answer to a keyed request."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import IdempotencyRecord


class IdempotencyRepository:
    """Reads and writes idempotency records."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, organisation_id: uuid.UUID, key: str) -> IdempotencyRecord | None:
        """The record stored for this key, if any."""
        record: IdempotencyRecord | None = await self._session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.organisation_id == organisation_id, IdempotencyRecord.key == key
            )
        )
        return record

    async def put(
        self, organisation_id: uuid.UUID, key: str, operation: str, request_hash: str, response: dict[str, Any]
    ) -> bool:
        """Remember the answer; ``False`` when the key is already taken (by a concurrent request)."""
        result = await self._session.execute(
            insert(IdempotencyRecord)
            .values(
                organisation_id=organisation_id,
                key=key,
                operation=operation,
                request_hash=request_hash,
                response=response,
            )
            .on_conflict_do_nothing()
            .returning(IdempotencyRecord.key)
        )
        return result.first() is not None

    async def delete_older_than(self, cutoff: datetime) -> int:
        """Remove records created before ``cutoff``; how many went."""
        result = await self._session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff).returning(IdempotencyRecord.key)
        )
        return len(result.all())
