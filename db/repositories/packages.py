"""Queries on packages, including the keyset-paginated listing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Package, Version
from db.raw import as_json, columns, detached, driver
from db.repositories.events import event_arguments, with_events


class LockedPackage:
    """A package row locked for update, with its draft if it has one, and the names of the
    stored hardware catalogue's flavours (``None``: the default table), which every write's
    rules need: read by the locking statement rather than in a round trip of their own."""

    def __init__(self, package: Package, draft: Version | None, hardware_names: tuple[str, ...] | None) -> None:
        self.package = package
        self.draft = draft
        self.hardware_names = hardware_names


LOCK_PACKAGE_SQL = (
    f"SELECT {columns(Package)}, (SELECT flavour_names FROM hardware_catalogue WHERE id = 1) AS hardware_names "
    "FROM packages WHERE id = $1 AND organisation_id = $2 FOR UPDATE"
)
DRAFT_SQL = f"SELECT {columns(Version)} FROM versions WHERE package_id = $1 AND status = 'DRAFT'"
SAVE_PACKAGE_SQL = (
    "UPDATE packages SET name = $2, name_is_custom = $3, description = $4, updated_at = $5, archived_at = $6, "
    "revision = $7 WHERE id = $1"
)
SAVE_PACKAGE_WITH_EVENTS_SQL = with_events(SAVE_PACKAGE_SQL, 8)
"""A write's package update and its events in one round trip (every autosave sends it)."""


@dataclass(frozen=True)
class PackageFilter:
    """Optional filters of the package listing; ``None`` means 'either'."""

    archived: bool | None = None
    has_draft: bool | None = None
    search: str | None = None


class PackageRepository:
    """Every query on the packages table, always scoped to one organisation."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, organisation_id: uuid.UUID, package_id: uuid.UUID) -> Package | None:
        """The package if it belongs to the organisation."""
        package: Package | None = await self._session.scalar(
            select(Package).where(Package.id == package_id, Package.organisation_id == organisation_id)
        )
        return package

    async def by_ids(self, organisation_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Package]:
        """Packages among ``ids`` that belong to the organisation, by id."""
        rows = await self._session.scalars(
            select(Package).where(Package.organisation_id == organisation_id, Package.id.in_(ids))
        )
        return {package.id: package for package in rows}

    async def names_starting_with(self, organisation_id: uuid.UUID, stem: str) -> set[str]:
        """Names in use that could collide with ``stem`` or its ``-N`` variants."""
        pattern = stem.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self._session.scalars(
            select(Package.name).where(Package.organisation_id == organisation_id, Package.name.like(pattern))
        )
        return set(rows)

    async def name_taken(self, organisation_id: uuid.UUID, name: str, *, excluding: uuid.UUID | None = None) -> bool:
        """Whether another package of the organisation is called ``name``."""
        query = select(Package.id).where(Package.organisation_id == organisation_id, Package.name == name)
        if excluding is not None:
            query = query.where(Package.id != excluding)
        return (await self._session.scalar(query)) is not None

    async def lock_with_draft(self, organisation_id: uuid.UUID, package_id: uuid.UUID) -> LockedPackage | None:
        """Lock the package (serialising every writer of it), then read its draft.

        Two statements on purpose: in READ COMMITTED a joined row read by the locking
        statement comes from the snapshot taken before the lock wait, so a writer that
        waited would see a stale draft. The second statement's snapshot is taken after
        the lock is granted. Both rows come back detached: changes are written with
        ``save`` and ``VersionRepository.update``.
        """
        connection = await driver(self._session)
        row = await connection.fetchrow(LOCK_PACKAGE_SQL, package_id, organisation_id)
        if row is None:
            return None
        package = dict(row)
        names = package.pop("hardware_names")
        draft = await connection.fetchrow(DRAFT_SQL, package_id)
        return LockedPackage(
            detached(Package, package),
            detached(Version, draft) if draft else None,
            tuple(names) if names is not None else None,
        )

    async def save(self, package: Package, *, events: Sequence[dict[str, Any]] = ()) -> None:
        """Write a locked package's mutable fields, and append ``events`` (rows as for
        ``EventRepository.append_many``) in the same statement."""
        fields = (
            package.id,
            package.name,
            package.name_is_custom,
            package.description,
            package.updated_at,
            package.archived_at,
            package.revision,
        )
        connection = await driver(self._session)
        if events:
            await connection.execute(SAVE_PACKAGE_WITH_EVENTS_SQL, *fields, *event_arguments(events))
        else:
            await connection.execute(SAVE_PACKAGE_SQL, *fields)

    async def save_facts(self, package_id: uuid.UUID, facts: dict[str, Any]) -> None:
        """Store what the workers learned about the package's inputs (workers only; off the autosave path)."""
        await (await driver(self._session)).execute(
            "UPDATE packages SET facts = $2::jsonb WHERE id = $1", package_id, as_json(facts)
        )

    async def lock_names(self, organisation_id: uuid.UUID) -> None:
        """Serialise automatic naming within the organisation until the transaction ends."""
        await self._session.execute(select(func.pg_advisory_xact_lock(func.hashtext(str(organisation_id)))))

    def add(self, package: Package) -> None:
        """Stage a new package (flushed with the unit of work)."""
        self._session.add(package)

    async def delete(self, package: Package) -> None:
        """Delete a package and, by cascade, its versions."""
        await (await driver(self._session)).execute("DELETE FROM packages WHERE id = $1", package.id)

    async def page(
        self,
        organisation_id: uuid.UUID,
        filters: PackageFilter,
        *,
        first: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[Package]:
        """Up to ``first + 1`` packages after the keyset position, most recently updated first.

        The extra row tells the caller whether another page exists. Ordering by
        ``(updated_at, id)`` descending uses ``ix_packages_org_updated`` whatever the page.
        """
        query = select(Package).where(Package.organisation_id == organisation_id)
        if filters.archived is not None:
            query = query.where(Package.archived_at.is_not(None) if filters.archived else Package.archived_at.is_(None))
        if filters.has_draft is not None:
            draft = exists().where(Version.package_id == Package.id, Version.status == "DRAFT")
            query = query.where(draft if filters.has_draft else ~draft)
        if filters.search:
            escaped = filters.search.replace("\x00", "").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(Package.name.ilike(f"%{escaped}%"))
        if after is not None:
            query = query.where(tuple_(Package.updated_at, Package.id) < tuple_(*after))
        query = query.order_by(Package.updated_at.desc(), Package.id.desc()).limit(first + 1)
        return list(await self._session.scalars(query))
