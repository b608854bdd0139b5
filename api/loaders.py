"""Per-request dataloaders: each batches every look-up of one kind into a single query.

A request therefore costs a fixed number of database round trips, however many packages
or versions it returns.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from api.ids import parse_uuid
from db.models import Event, Job, Package, Version
from db.repositories.events import EventCursor, EventRepository
from db.repositories.jobs import JobRepository
from db.repositories.packages import PackageRepository
from db.repositories.versions import VersionRepository

T = TypeVar("T")


def _batched(fetch: Callable[[list[uuid.UUID]], Awaitable[dict[uuid.UUID, T]]]) -> DataLoader[uuid.UUID, T | None]:
    async def load(keys: Sequence[uuid.UUID]) -> list[T | None]:
        found = await fetch(list(keys))
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


P = TypeVar("P", int, EventCursor)
PageKey = tuple[uuid.UUID, int, P | None]
"""(package id, page size, keyset position): pages with equal size and position batch together."""


def _paged(
    fetch: Callable[[list[uuid.UUID], int, P | None], Awaitable[dict[uuid.UUID, list[T]]]],
) -> DataLoader[PageKey[P], list[T]]:
    async def load(keys: Sequence[PageKey[P]]) -> list[list[T]]:
        groups: dict[tuple[int, P | None], list[uuid.UUID]] = defaultdict(list)
        for package_id, first, position in keys:
            groups[(first, position)].append(package_id)
        found: dict[PageKey[P], list[T]] = {}
        for (first, position), package_ids in groups.items():
            for package_id, rows in (await fetch(package_ids, first, position)).items():
                found[(package_id, first, position)] = rows
        return [found.get(key, []) for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    """The loaders of one request, all scoped to the caller's organisation."""

    def __init__(self, session: AsyncSession, organisation_id: uuid.UUID) -> None:
        packages = PackageRepository(session)
        versions = VersionRepository(session)
        events = EventRepository(session)
        self.package: DataLoader[uuid.UUID, Package | None] = _batched(
            lambda ids: packages.by_ids(organisation_id, ids)
        )
        self.version: DataLoader[uuid.UUID, Version | None] = _batched(
            lambda ids: versions.by_ids(organisation_id, ids)
        )
        jobs = JobRepository(session)
        self.job: DataLoader[uuid.UUID, Job | None] = _batched(lambda ids: jobs.by_ids(organisation_id, ids))

        # Every version fetched by another loader is primed into ``version``, so a later
        # ``basedOn`` of a version already on the page costs no further query.
        async def drafts(ids: list[uuid.UUID]) -> dict[uuid.UUID, Version]:
            # The drafts' bases come in the same query: a draft's ``basedOn`` must not race the
            # loader of the latest version (usually its base) into a query of its own.
            found, bases = await versions.drafts_of(ids)
            self.version.prime_many({row.id: row for row in bases})
            return self._primed(found)

        async def latest(ids: list[uuid.UUID]) -> dict[uuid.UUID, Version]:
            return self._primed(await versions.latest_published_of(ids))

        async def pages(ids: list[uuid.UUID], first: int, before: int | None) -> dict[uuid.UUID, list[Version]]:
            found = await versions.pages(ids, first=first, before_number=before)
            self.version.prime_many({row.id: row for rows in found.values() for row in rows})
            return found

        # Keys are package ids already scoped by the package that was loaded for this organisation.
        self.draft: DataLoader[uuid.UUID, Version | None] = _batched(drafts)
        self.latest_published: DataLoader[uuid.UUID, Version | None] = _batched(latest)
        self.version_page: DataLoader[PageKey[int], list[Version]] = _paged(pages)
        self.event_page: DataLoader[PageKey[EventCursor], list[Event]] = _paged(
            lambda ids, first, after: events.pages_for_packages(organisation_id, ids, after=after, first=first)
        )

        async def by_number(keys: Sequence[tuple[uuid.UUID, int]]) -> list[Version | None]:
            found = await versions.by_numbers(list(keys))
            return [found.get(key) for key in keys]

        self.version_by_number: DataLoader[tuple[uuid.UUID, int], Version | None] = DataLoader(load_fn=by_number)

    def _primed(self, found: dict[uuid.UUID, Version]) -> dict[uuid.UUID, Version]:
        self.version.prime_many({row.id: row for row in found.values()})
        return found


async def load_by_node_ids(loader: DataLoader[uuid.UUID, T | None], node_ids: list[str]) -> list[T | None]:
    """Rows for Relay node ids, in order; a malformed id answers ``None`` like a missing one."""
    ids = [parse_uuid(node_id) for node_id in node_ids]
    rows = await loader.load_many([key for key in ids if key is not None])
    found = iter(rows)
    return [next(found) if key is not None else None for key in ids]
