"""Per-request dataloaders: each batches every look-up of one kind into a single query.

A request therefore costs a fixed number of database round trips, however many packages
or versions it returns.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from api.ids import parse_uuid
from db.models import Event, Job, Package, Version
from db.repositories.events import EventCursor, EventRepository
from db.repositories.hardware import HardwareRepository
from db.repositories.jobs import JobRepository
from db.repositories.packages import PackageRepository
from db.repositories.versions import VersionRepository
from workflow.job_inputs import JobKind

K = TypeVar("K")
T = TypeVar("T")


class SharedLoader(DataLoader[K, T]):
    """A dataloader whose waiters may be cancelled without cancelling each other.

    ``load`` hands every caller of one key the same future. graphql-core cancels the sibling
    fields of a field that fails in a non-null position; awaiting the shared future directly
    would cancel it for every other field of the request waiting on the same key (and, once
    all of a batch's futures are cancelled, the batch itself), and the cancellation would
    escape the whole request as a 500. Each caller therefore waits on a shield of its own.
    """

    def load(self, key: K) -> asyncio.Future[T]:
        return asyncio.shield(super().load(key))


def _batched(fetch: Callable[[list[uuid.UUID]], Awaitable[dict[uuid.UUID, T]]]) -> DataLoader[uuid.UUID, T | None]:
    async def load(keys: Sequence[uuid.UUID]) -> list[T | None]:
        found = await fetch(list(keys))
        return [found.get(key) for key in keys]

    return SharedLoader(load_fn=load)


Reading = Callable[[], AbstractAsyncContextManager[AsyncSession]]
"""Opens a read session of its own for one batch (batches of one request run concurrently)."""

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

    return SharedLoader(load_fn=load)


CATALOGUE = 1
"""The one key of ``Loaders.hardware_names``."""


class Loaders:
    """The loaders of one request, all scoped to the caller's organisation."""

    def __init__(self, reading: Reading, organisation_id: uuid.UUID) -> None:
        async def packages(ids: list[uuid.UUID]) -> dict[uuid.UUID, Package]:
            async with reading() as session:
                return await PackageRepository(session).by_ids(organisation_id, ids)

        async def versions(ids: list[uuid.UUID]) -> dict[uuid.UUID, Version]:
            async with reading() as session:
                return await VersionRepository(session).by_ids(organisation_id, ids)

        async def jobs(ids: list[uuid.UUID]) -> dict[uuid.UUID, Job]:
            async with reading() as session:
                return await JobRepository(session).by_ids(organisation_id, ids)

        async def builds(ids: list[uuid.UUID]) -> dict[uuid.UUID, Job]:
            async with reading() as session:
                return await JobRepository(session).latest_of_versions(organisation_id, JobKind.BUILD_PACKAGE, ids)

        self.package: DataLoader[uuid.UUID, Package | None] = _batched(packages)
        self.version: DataLoader[uuid.UUID, Version | None] = _batched(versions)
        self.job: DataLoader[uuid.UUID, Job | None] = _batched(jobs)
        self.latest_build: DataLoader[uuid.UUID, Job | None] = _batched(builds)  # by version id

        # Every version fetched by another loader is primed into ``version``, so a later
        # ``basedOn`` of a version already on the page costs no further query.
        async def drafts(ids: list[uuid.UUID]) -> dict[uuid.UUID, Version]:
            # The drafts' bases come in the same query: a draft's ``basedOn`` must not race the
            # loader of the latest version (usually its base) into a query of its own.
            async with reading() as session:
                found, bases = await VersionRepository(session).drafts_of(ids)
            self.version.prime_many({row.id: row for row in bases})
            return self._primed(found)

        async def latest(ids: list[uuid.UUID]) -> dict[uuid.UUID, Version]:
            async with reading() as session:
                return self._primed(await VersionRepository(session).latest_published_of(ids))

        async def pages(ids: list[uuid.UUID], first: int, before: int | None) -> dict[uuid.UUID, list[Version]]:
            async with reading() as session:
                found = await VersionRepository(session).pages(ids, first=first, before_number=before)
            self.version.prime_many({row.id: row for rows in found.values() for row in rows})
            return found

        async def event_pages(
            ids: list[uuid.UUID], first: int, after: EventCursor | None
        ) -> dict[uuid.UUID, list[Event]]:
            async with reading() as session:
                return await EventRepository(session).pages_for_packages(organisation_id, ids, after=after, first=first)

        # Keys are package ids already scoped by the package that was loaded for this organisation.
        self.draft: DataLoader[uuid.UUID, Version | None] = _batched(drafts)
        self.latest_published: DataLoader[uuid.UUID, Version | None] = _batched(latest)
        self.version_page: DataLoader[PageKey[int], list[Version]] = _paged(pages)
        self.event_page: DataLoader[PageKey[EventCursor], list[Event]] = _paged(event_pages)

        async def by_number(keys: Sequence[tuple[uuid.UUID, int]]) -> list[Version | None]:
            async with reading() as session:
                found = await VersionRepository(session).by_numbers(list(keys))
            return [found.get(key) for key in keys]

        self.version_by_number: DataLoader[tuple[uuid.UUID, int], Version | None] = SharedLoader(load_fn=by_number)

        async def hardware_names(keys: Sequence[int]) -> list[tuple[str, ...] | None]:
            async with reading() as session:
                names = await HardwareRepository(session).flavour_names()
            return [names for _ in keys]

        # The catalogue in use (one key: ``CATALOGUE``), read once per request by the estimates it keys.
        self.hardware_names: DataLoader[int, tuple[str, ...] | None] = SharedLoader(load_fn=hardware_names)

    def _primed(self, found: dict[uuid.UUID, Version]) -> dict[uuid.UUID, Version]:
        self.version.prime_many({row.id: row for row in found.values()})
        return found


async def load_by_node_ids(loader: DataLoader[uuid.UUID, T | None], node_ids: list[str]) -> list[T | None]:
    """Rows for Relay node ids, in order; a malformed id answers ``None`` like a missing one."""
    ids = [parse_uuid(node_id) for node_id in node_ids]
    rows = await loader.load_many([key for key in ids if key is not None])
    found = iter(rows)
    return [next(found) if key is not None else None for key in ids]
