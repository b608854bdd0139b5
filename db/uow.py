"""The unit of work: one transaction per mutation or job step.

Services never commit; the unit of work does, once. Work that must only happen after a
successful commit (sending jobs, publishing wake-ups) is registered with ``after_commit``
and dropped on rollback.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.repositories.events import EventRepository
from db.repositories.hardware import HardwareRepository
from db.repositories.idempotency import IdempotencyRepository
from db.repositories.jobs import JobRepository, UploadRepository
from db.repositories.packages import PackageRepository
from db.repositories.secrets import SecretRepository
from db.repositories.tokens import TokenRepository
from db.repositories.versions import VersionRepository

JobSender = Callable[[Sequence[tuple[uuid.UUID, str, int]]], Awaitable[None]]
"""Puts ``(job id, job kind, delay in ms)`` messages on the queue; set once per process by the composition root."""

_job_sender: JobSender | None = None
DEFAULT_JOB_SLOTS = 8
log = structlog.get_logger(__name__)


def set_job_sender(sender: JobSender | None) -> None:
    """Install how this process sends job messages (Dramatiq on Redis, or the in-process broker)."""
    global _job_sender
    _job_sender = sender


class UnitOfWork:
    """A session in a transaction, with the repositories that share it."""

    session: AsyncSession
    packages: PackageRepository
    versions: VersionRepository
    events: EventRepository
    tokens: TokenRepository
    idempotency: IdempotencyRepository
    jobs: JobRepository
    uploads: UploadRepository
    secrets: SecretRepository
    hardware: HardwareRepository

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], *, job_slots: int = DEFAULT_JOB_SLOTS) -> None:
        self._sessionmaker = sessionmaker
        self.job_slots = job_slots  # an organisation's jobs on the queue or running at once
        self._after_commit: list[Callable[[], Awaitable[None]]] = []
        self._jobs: list[tuple[uuid.UUID, str, int]] = []

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessionmaker()
        await self.session.begin()
        self.packages = PackageRepository(self.session)
        self.versions = VersionRepository(self.session)
        self.events = EventRepository(self.session)
        self.tokens = TokenRepository(self.session)
        self.idempotency = IdempotencyRepository(self.session)
        self.jobs = JobRepository(self.session)
        self.uploads = UploadRepository(self.session)
        self.secrets = SecretRepository(self.session)
        self.hardware = HardwareRepository(self.session)
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
            if self._jobs:
                await self._send_jobs()
            for callback in self._after_commit:
                await callback()

    def after_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` once the transaction has committed; never if it rolls back."""
        self._after_commit.append(callback)

    def enqueue(self, job_id: uuid.UUID, kind: str, *, delay_ms: int = 0) -> None:
        """Send the job's message once the transaction has committed (never before, never on rollback)."""
        self._jobs.append((job_id, kind, delay_ms))

    async def _send_jobs(self) -> None:
        """Send buffered jobs; on failure (queue down) mark them unsent so the sweeper sends them soon.

        Rows are written as sent (``sent_at`` set in the creating transaction), which spares a
        second transaction on every success. If this process dies between commit and send, the
        sweeper still finds the row once its resend interval has passed.
        """
        jobs, self._jobs = self._jobs, []
        try:
            if _job_sender is None:
                raise RuntimeError("no job sender in this process")
            await _job_sender(jobs)
        except Exception as exc:  # any broker failure: the row is the truth, the sweeper re-sends
            log.warning("could not send jobs; the sweeper will send them", jobs=len(jobs), error=repr(exc))
            # A delayed retry keeps its "not before" time: clearing it would resend it at once,
            # skipping its backoff (the resend interval after that time covers it instead).
            immediate = [job_id for job_id, _, delay_ms in jobs if not delay_ms]
            if not immediate:
                return
            try:
                async with self._sessionmaker() as session, session.begin():
                    await JobRepository(session).mark_unsent(immediate)
            except Exception as db_exc:  # the resend interval still covers them
                log.warning("could not mark jobs unsent", jobs=len(immediate), error=repr(db_exc))
