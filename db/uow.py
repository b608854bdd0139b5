"""The unit of work: one transaction per mutation or job step.

Services never commit; the unit of work does, once. Work that must only happen after a
successful commit (sending jobs, publishing wake-ups) is registered with ``after_commit``
and dropped on rollback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.repositories.events import EventRepository
from db.repositories.idempotency import IdempotencyRepository
from db.repositories.packages import PackageRepository
from db.repositories.tokens import TokenRepository
from db.repositories.versions import VersionRepository


class UnitOfWork:
    """A session in a transaction, with the repositories that share it."""

    session: AsyncSession
    packages: PackageRepository
    versions: VersionRepository
    events: EventRepository
    tokens: TokenRepository
    idempotency: IdempotencyRepository

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._after_commit: list[Callable[[], Awaitable[None]]] = []

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessionmaker()
        await self.session.begin()
        self.packages = PackageRepository(self.session)
        self.versions = VersionRepository(self.session)
        self.events = EventRepository(self.session)
        self.tokens = TokenRepository(self.session)
        self.idempotency = IdempotencyRepository(self.session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                await self.session.commit()
            else:
                await self.session.rollback()
        finally:
            await self.session.close()
        if exc_type is None:
            for callback in self._after_commit:
                await callback()

    def after_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` once the transaction has committed; never if it rolls back."""
        self._after_commit.append(callback)
