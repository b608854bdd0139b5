"""Coalescing one job step across the jobs a worker runs at once.

Every job starts with a claim and ends with an outcome, each a transaction with a row update
and an event. A worker running eight jobs would otherwise pay eight transactions where one
does: while a batch is in flight, new requests wait and go together in the next one. Under
load batches grow by themselves; a lone request waits for nothing but its own transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import structlog

T = TypeVar("T")
R = TypeVar("R")
log = structlog.get_logger(__name__)


class Coalescer(Generic[T, R]):
    """Runs ``run_batch`` on the requests pending together; each caller gets its own result.

    ``run_batch`` takes the requests and returns one result per request, in order. If a batch
    fails, its requests are retried one by one, so one bad request fails only its own caller.
    Bound to the event loop it is first used in.
    """

    def __init__(self, run_batch: Callable[[Sequence[T]], Awaitable[Sequence[R]]]) -> None:
        self._run_batch = run_batch
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._draining = False

    async def submit(self, request: T) -> R:
        """The result of ``request``, run together with whatever else is pending."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        if not self._draining:
            self._draining = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                await self._run(batch)
        finally:
            self._draining = False

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._run_batch([request for request, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], error=exc)
                return
            log.warning("a coalesced batch failed; running its requests one by one", size=len(batch), error=repr(exc))
            for single in batch:
                await self._run([single])
            return
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result=result)


def _settle(future: asyncio.Future[R], *, result: R | None = None, error: BaseException | None = None) -> None:
    if future.done():  # the caller went away (cancelled)
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)  # type: ignore[arg-type]
