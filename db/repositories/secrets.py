"""Organisation secrets: sealed values by name, their listing, and the drafts that name one."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import OrganisationSecret

DRAFTS_USING_SQL = text(
    "SELECT v.package_id FROM versions v JOIN packages p ON p.id = v.package_id "
    "WHERE v.organisation_id = :organisation AND v.status = 'DRAFT' AND p.archived_at IS NULL "
    "AND (v.step_data -> 'deploy' ->> 'hubTokenSecret' = :name "
    "OR (v.step_data -> 'deploy' ->> 'hubTokenSecret' IS NULL AND :name = :default_name "
    "AND jsonb_path_exists(p.facts, CAST(:failures AS jsonpath)))) "
    "ORDER BY v.package_id"
)
"""Drafts a change of the secret ``name`` concerns: those naming it in step 4 (their check changes),
and those using it by default whose stored facts hold a failure another token may mend (every other
draft of the organisation uses the default name too, and is left alone)."""


class SecretRepository:
    """Every query on ``organisation_secrets``, always scoped to one organisation."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, organisation_id: uuid.UUID, name: str, *, lock: bool = False) -> OrganisationSecret | None:
        """The secret called ``name``, if the organisation has one."""
        query = select(OrganisationSecret).where(
            OrganisationSecret.organisation_id == organisation_id, OrganisationSecret.name == name
        )
        if lock:
            query = query.with_for_update()
        found: OrganisationSecret | None = await self._session.scalar(query)
        return found

    async def lock_organisation(self, organisation_id: uuid.UUID) -> None:
        """Serialise the organisation's secret writes until the transaction ends (its count, and
        the drafts they re-validate, are then seen by one writer at a time)."""
        await self._session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"secrets:{organisation_id}"))))

    async def names(self, organisation_id: uuid.UUID) -> frozenset[str]:
        """The names of the organisation's secrets (what step 4's rules check against)."""
        rows = await self._session.scalars(
            select(OrganisationSecret.name).where(OrganisationSecret.organisation_id == organisation_id)
        )
        return frozenset(rows)

    async def count(self, organisation_id: uuid.UUID) -> int:
        """How many secrets the organisation has."""
        found = await self._session.scalar(
            select(func.count()).where(OrganisationSecret.organisation_id == organisation_id)
        )
        return int(found or 0)

    async def listing(self, organisation_id: uuid.UUID) -> Sequence[OrganisationSecret]:
        """Every secret of the organisation, by name."""
        rows = await self._session.scalars(
            select(OrganisationSecret)
            .where(OrganisationSecret.organisation_id == organisation_id)
            .order_by(OrganisationSecret.name)
        )
        return list(rows)

    async def upsert(
        self,
        organisation_id: uuid.UUID,
        name: str,
        sealed: bytes,
        last_four: str | None,
        actor: str,
        now: datetime,
    ) -> tuple[OrganisationSecret, bool]:
        """Store the sealed value under ``name`` (one statement, safe against a concurrent first
        write of the same name); the row and whether it was created."""
        statement = (
            insert(OrganisationSecret)
            .values(
                organisation_id=organisation_id,
                name=name,
                sealed=sealed,
                last_four=last_four,
                created_at=now,
                created_by=actor,
                updated_at=now,
                updated_by=actor,
            )
            .on_conflict_do_update(
                index_elements=[OrganisationSecret.organisation_id, OrganisationSecret.name],
                set_={"sealed": sealed, "last_four": last_four, "updated_at": now, "updated_by": actor},
            )
            .returning(OrganisationSecret, text("xmax = 0 AS created"))
            .execution_options(populate_existing=True)  # the row may be in the session already (locked)
        )
        row = (await self._session.execute(statement)).one()
        return row[0], bool(row[1])

    async def delete(self, organisation_id: uuid.UUID, name: str) -> bool:
        """Remove the secret; ``False`` when there was none."""
        result = await self._session.execute(
            delete(OrganisationSecret)
            .where(OrganisationSecret.organisation_id == organisation_id, OrganisationSecret.name == name)
            .returning(OrganisationSecret.name)
        )
        return result.first() is not None

    async def drafts_using(
        self, organisation_id: uuid.UUID, name: str, default_name: str, failure_codes: Iterable[str]
    ) -> list[uuid.UUID]:
        """Packages whose draft a change of the secret ``name`` concerns (``DRAFTS_USING_SQL``)."""
        codes = " || ".join(f'@ == "{code}"' for code in sorted(failure_codes))
        rows = await self._session.execute(
            DRAFTS_USING_SQL,
            {
                "organisation": organisation_id,
                "name": name,
                "default_name": default_name,
                "failures": f"$.*.*.failure.code ? ({codes})",
            },
        )
        return [row[0] for row in rows]

    async def all_sealed(self, *, lock: bool = False, limit: int | None = None) -> Sequence[OrganisationSecret]:
        """Every stored secret of every organisation, newest change first (rotation; the start check)."""
        query = select(OrganisationSecret).order_by(OrganisationSecret.updated_at.desc())
        if limit is not None:
            query = query.limit(limit)
        if lock:
            query = query.with_for_update()
        return list(await self._session.scalars(query))

    async def reseal_many(self, resealed: Sequence[tuple[uuid.UUID, str, bytes]]) -> None:
        """Replace stored values by the same values sealed under another key (rotation), in one
        batch of statements: ``(organisation id, name, sealed)`` each."""
        if resealed:
            await self._session.execute(
                update(OrganisationSecret),
                [{"organisation_id": org, "name": name, "sealed": sealed} for org, name, sealed in resealed],
            )
