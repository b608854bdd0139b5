"""The per-request context: the caller, a read session, the loaders and units of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import strawberry
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from api.live.hub import EventHub
from api.loaders import Loaders
from db.uow import UnitOfWork
from trainpack.settings import Settings
from workflow.access import Actor, Scope
from workflow.catalogue import HardwareSource
from workflow.sealing import SecretBox


@dataclass
class Services:
    """Process-wide handles the transport needs: settings, session factories, and how the Hub's
    hardware list is read (given by the composition root; ``None``: refreshing it is unavailable)."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[AsyncSession]
    read_engine: AsyncEngine
    hub: EventHub | None = None
    secret_box: SecretBox | None = None
    hardware_source: HardwareSource | None = None


@dataclass
class Context:
    """What every resolver receives as ``info.context``."""

    request: Request | WebSocket
    response: Response | None
    services: Services
    actor_or_none: Actor | None
    connection_params: dict[str, object] | None = None
    _loaders: Loaders | None = field(default=None)

    @property
    def actor(self) -> Actor:
        """The authenticated caller; a top-level UNAUTHENTICATED error when there is none."""
        if self.actor_or_none is None:
            raise GraphQLError(
                "A valid bearer token is required (Authorization: Bearer <token>).",
                extensions={"code": "UNAUTHENTICATED"},
            )
        return self.actor_or_none

    def reader(self) -> Actor:
        """The caller, checked for the ``read`` scope that every query needs."""
        actor = self.actor
        if not actor.can(Scope.READ):
            raise GraphQLError("This token lacks the 'read' scope.", extensions={"code": "FORBIDDEN"})
        return actor

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read session of its own, for one read (autocommit: no transaction round trips).

        graphql-core resolves a document's root fields, and the dataloaders their batches,
        concurrently; a session (and its connection) serves one operation at a time, so every
        read takes its own from the pool and gives it back at once.
        """
        async with self.services.read_sessionmaker() as session:
            yield session

    @property
    def loaders(self) -> Loaders:
        """The request's dataloaders (created on first use)."""
        if self._loaders is None:
            self._loaders = Loaders(self.reading, self.reader().organisation_id)
        return self._loaders

    def uow(self) -> UnitOfWork:
        """A new unit of work (one transaction) for a mutation.

        Reads cached earlier in the request (the loaders) may be outdated by this write, so
        they are dropped: a later mutation in the same request resolves its result from fresh
        data.
        """
        self._loaders = None
        return UnitOfWork(self.services.sessionmaker, job_slots=self.services.settings.job_slots_per_organisation)


Info = strawberry.Info[Context, None]
