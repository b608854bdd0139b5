"""Organisations and API tokens."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ApiToken, Organisation


class TokenRepository:
    """Look-ups of tokens by hash and their organisations."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def active_by_hash(self, token_hash: str) -> tuple[ApiToken, Organisation] | None:
        """The unrevoked token with this hash and its organisation, in one round trip."""
        row = (
            await self._session.execute(
                select(ApiToken, Organisation)
                .join(Organisation, Organisation.id == ApiToken.organisation_id)
                .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def organisation_by_name(self, name: str) -> Organisation | None:
        """The organisation called ``name``, if any."""
        result: Organisation | None = await self._session.scalar(select(Organisation).where(Organisation.name == name))
        return result

    async def add_organisation(self, name: str) -> Organisation:
        """Create an organisation."""
        organisation = Organisation(id=uuid.uuid4(), name=name)
        self._session.add(organisation)
        await self._session.flush()
        return organisation

    async def add(
        self, organisation_id: uuid.UUID, name: str, token_hash: str, prefix: str, scopes: Sequence[str]
    ) -> ApiToken:
        """Store a new token (its hash only)."""
        token = ApiToken(
            id=uuid.uuid4(),
            organisation_id=organisation_id,
            name=name,
            token_hash=token_hash,
            prefix=prefix,
            scopes=list(scopes),
        )
        self._session.add(token)
        await self._session.flush()
        return token

    async def list_all(self) -> Sequence[tuple[ApiToken, Organisation]]:
        """Every token with its organisation, newest first."""
        rows = await self._session.execute(
            select(ApiToken, Organisation)
            .join(Organisation, Organisation.id == ApiToken.organisation_id)
            .order_by(ApiToken.created_at.desc())
        )
        return [(row[0], row[1]) for row in rows]

    async def revoke(self, token_id: uuid.UUID, now: datetime) -> bool:
        """Revoke a token; ``False`` when no active token has this id."""
        result = await self._session.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(ApiToken.id)
        )
        return result.first() is not None
