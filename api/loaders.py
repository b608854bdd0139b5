"""Per-request dataloaders: each batches every look-up of one kind into a single query.

A request therefore costs a fixed number of database round trips, however many packages
or versions it returns.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from db.models import Package, Version
from db.repositories.packages import PackageRepository
from db.repositories.versions import VersionRepository

T = TypeVar("T")


def _batched(fetch: Callable[[list[uuid.UUID]], Awaitable[dict[uuid.UUID, T]]]) -> DataLoader[uuid.UUID, T | None]:
    async def load(keys: Sequence[uuid.UUID]) -> list[T | None]:
        found = await fetch(list(keys))
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    """The loaders of one request, all scoped to the caller's organisation."""

    def __init__(self, session: AsyncSession, organisation_id: uuid.UUID) -> None:
        packages = PackageRepository(session)
        versions = VersionRepository(session)
        self.package: DataLoader[uuid.UUID, Package | None] = _batched(
            lambda ids: packages.by_ids(organisation_id, ids)
        )
        self.version: DataLoader[uuid.UUID, Version | None] = _batched(
            lambda ids: versions.by_ids(organisation_id, ids)
        )
        # Keys are package ids already scoped by the package that was loaded for this organisation.
        self.draft: DataLoader[uuid.UUID, Version | None] = _batched(versions.drafts_of)
        self.latest_published: DataLoader[uuid.UUID, Version | None] = _batched(versions.latest_published_of)
