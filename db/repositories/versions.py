"""Queries on versions: the draft, published history, and batched look-ups for loaders."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.models import Version
from db.raw import as_json, driver


class VersionRepository:
    """Every query on the versions table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def draft(self, package_id: uuid.UUID) -> Version | None:
        """The package's draft, if it has one."""
        version: Version | None = await self._session.scalar(
            select(Version).where(Version.package_id == package_id, Version.status == "DRAFT")
        )
        return version

    async def latest_published(self, package_id: uuid.UUID) -> Version | None:
        """The highest-numbered published version."""
        version: Version | None = await self._session.scalar(
            select(Version)
            .where(Version.package_id == package_id, Version.status == "PUBLISHED")
            .order_by(Version.number.desc())
            .limit(1)
        )
        return version

    async def published(self, package_id: uuid.UUID) -> list[Version]:
        """Every published version of the package (a worker's outcome keeps the facts they use)."""
        rows = await self._session.scalars(
            select(Version).where(Version.package_id == package_id, Version.status == "PUBLISHED")
        )
        return list(rows)

    async def by_number(self, package_id: uuid.UUID, number: int) -> Version | None:
        """Version ``number`` of the package."""
        version: Version | None = await self._session.scalar(
            select(Version).where(Version.package_id == package_id, Version.number == number)
        )
        return version

    async def by_ids(self, organisation_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Version]:
        """Versions among ``ids`` that belong to the organisation, by id."""
        rows = await self._session.scalars(
            select(Version).where(Version.organisation_id == organisation_id, Version.id.in_(ids))
        )
        return {version.id: version for version in rows}

    async def highest(self, package_id: uuid.UUID) -> tuple[int, int]:
        """The highest version number and the highest revision of the package (0, 0 if none)."""
        row = (
            await self._session.execute(
                select(func.coalesce(func.max(Version.number), 0), func.coalesce(func.max(Version.revision), 0)).where(
                    Version.package_id == package_id
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    async def drafts_of(self, package_ids: Sequence[uuid.UUID]) -> tuple[dict[uuid.UUID, Version], list[Version]]:
        """The draft of each package that has one, and the versions those drafts are based on, in one
        query (a reader of a draft usually asks for its ``basedOn`` next)."""
        drafts = select(Version.based_on_id).where(Version.package_id.in_(package_ids), Version.status == "DRAFT")
        rows = await self._session.scalars(
            select(Version).where(
                Version.package_id.in_(package_ids),
                or_(Version.status == "DRAFT", Version.id.in_(drafts.scalar_subquery())),
            )
        )
        found: dict[uuid.UUID, Version] = {}
        bases: list[Version] = []
        for version in rows:
            if version.status == "DRAFT":
                found[version.package_id] = version
            else:
                bases.append(version)
        return found, bases

    async def latest_published_of(self, package_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Version]:
        """The latest published version of each package that has one, in one query."""
        rows = await self._session.scalars(
            select(Version)
            .where(Version.package_id.in_(package_ids), Version.status == "PUBLISHED")
            .order_by(Version.package_id, Version.number.desc())
            .ext(distinct_on(Version.package_id))
        )
        return {version.package_id: version for version in rows}

    async def pages(
        self, package_ids: Sequence[uuid.UUID], *, first: int, before_number: int | None
    ) -> dict[uuid.UUID, list[Version]]:
        """Up to ``first + 1`` versions per package, newest first, in one query (for a loader)."""
        ranked_query = select(
            Version,
            func.row_number().over(partition_by=Version.package_id, order_by=Version.number.desc()).label("rank"),
        ).where(Version.package_id.in_(package_ids))
        if before_number is not None:
            ranked_query = ranked_query.where(Version.number < before_number)
        ranked = ranked_query.subquery()
        version = aliased(Version, ranked)
        rows = await self._session.scalars(
            select(version).where(ranked.c.rank <= first + 1).order_by(ranked.c.package_id, ranked.c.number.desc())
        )
        pages: dict[uuid.UUID, list[Version]] = {package_id: [] for package_id in package_ids}
        for row in rows:
            pages[row.package_id].append(row)
        return pages

    async def by_numbers(self, keys: Sequence[tuple[uuid.UUID, int]]) -> dict[tuple[uuid.UUID, int], Version]:
        """Versions by (package id, number), in one query (for a loader)."""
        rows = await self._session.scalars(select(Version).where(tuple_(Version.package_id, Version.number).in_(keys)))
        return {(row.package_id, row.number): row for row in rows}

    async def insert(self, version: Version) -> None:
        """Write a new version row (unset columns with a server default take the default)."""
        names = [name for name in _COLUMNS if getattr(version, name) is not None or name not in _DEFAULTED]
        placeholders = ", ".join(f"${index}" for index in range(1, len(names) + 1))
        await (await driver(self._session)).execute(
            f"INSERT INTO versions ({', '.join(names)}) VALUES ({placeholders})",
            *(_value(version, name) for name in names),
        )

    async def update(self, version: Version) -> None:
        """Write a draft's mutable fields (a published version refuses this in the database)."""
        await (await driver(self._session)).execute(
            UPDATE_VERSION_SQL, version.id, *(_value(version, column) for column in MUTABLE_COLUMNS)
        )

    async def delete(self, version: Version) -> None:
        """Delete a draft (discard)."""
        await (await driver(self._session)).execute("DELETE FROM versions WHERE id = $1", version.id)


_COLUMNS = [column.name for column in Version.__table__.columns]
MUTABLE_COLUMNS = [
    "status",
    "step_data",
    "step_states",
    "current_step",
    "revision",
    "number",
    "content_hash",
    "saved_at",
    "autosaved_at",
    "published_at",
    "published_by",
    "changelog",
]
_DEFAULTED = {column.name for column in Version.__table__.columns if column.server_default is not None}
UPDATE_VERSION_SQL = (
    f"UPDATE versions SET {', '.join(f'{name} = ${index}' for index, name in enumerate(MUTABLE_COLUMNS, start=2))} "
    "WHERE id = $1"
)


def _value(version: Version, column: str) -> object:
    value = getattr(version, column)
    return as_json(value) if column in ("step_data", "step_states") else value
