"""Organisations and API tokens."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db.models import ApiToken, Organisation
from db.raw import columns, detached, driver


class TokenRepository:
    """Look-ups of tokens by hash and their organisations."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def active_by_hash(self, token_hash: str) -> tuple[ApiToken, Organisation] | None:
        """The unrevoked token with this hash and its organisation, in one round trip."""
        return await active_token(self._session, token_hash)

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


ACTIVE_TOKEN_SQL = (
    f"SELECT {columns(ApiToken, 't')}, o.name AS organisation_name, o.created_at AS organisation_created_at "
    "FROM api_tokens t JOIN organisations o ON o.id = t.organisation_id "
    "WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
)


async def active_token(
    session_or_connection: AsyncSession | AsyncConnection, token_hash: str
) -> tuple[ApiToken, Organisation] | None:
    """The unrevoked token with this hash and its organisation (checked on every request)."""
    row = await (await driver(session_or_connection)).fetchrow(ACTIVE_TOKEN_SQL, token_hash)
    if row is None:
        return None
    values = dict(row)
    organisation = Organisation(
        id=values["organisation_id"],
        name=values.pop("organisation_name"),
        created_at=values.pop("organisation_created_at"),
    )
    return detached(ApiToken, values), organisation


async def token_is_active(connection: AsyncConnection, token_id: uuid.UUID) -> bool:
    """Whether the token still exists unrevoked (re-checked by long-lived subscriptions)."""
    found = await (await driver(connection)).fetchval(
        "SELECT 1 FROM api_tokens WHERE id = $1 AND revoked_at IS NULL", token_id
    )
    return found is not None
