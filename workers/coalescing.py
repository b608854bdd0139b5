"""Coalescing one job step across the jobs a worker runs at once.

Every job starts with a claim and ends with an outcome, each a transaction with a row update
and an event. A worker running many jobs would otherwise pay one transaction per job where
one does: while a batch is in flight, new requests wait and go together in the next one.
Under load batches grow by themselves; a lone request waits for nothing but its own
transaction.
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
    fails, each of its requests is retried alone (by ``alone`` when given, which may take a
    slower but more patient path), so one bad request fails only its own caller.
    A request whose caller has gone away (cancelled) before its batch runs is dropped; results
    of requests whose caller went away while their batch ran go to ``abandoned``, so the step
    can be undone (a claim released) instead of lingering. Bound to the event loop it is first
    used in.
    """

    def __init__(
        self,
        run_batch: Callable[[Sequence[T]], Awaitable[Sequence[R]]],
        *,
        abandoned: Callable[[Sequence[R]], Awaitable[None]] | None = None,
        alone: Callable[[T], Awaitable[R]] | None = None,
    ) -> None:
        self._run_batch = run_batch
        self._abandoned = abandoned
        self._alone_run = alone
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self._alone: set[asyncio.Task[None]] = set()

    async def submit(self, request: T) -> R:
        """The result of ``request``, run together with whatever else is pending."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((request, future))
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())  # kept: a task nobody holds may be collected
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch = [(request, future) for request, future in self._pending if not future.done()]
                self._pending = []
                if batch:
                    await self._run(batch)
        except BaseException as exc:  # never leave a caller waiting on a batch that will not run
            for _, future in self._pending:
                _settle(future, error=exc if isinstance(exc, Exception) else RuntimeError("batching stopped"))
            self._pending = []
            raise
        finally:
            self._drainer = None

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]], *, retry: bool = False) -> None:
        try:
            try:
                if retry and self._alone_run is not None:
                    [(request, _)] = batch
                    results: Sequence[R] = [await self._alone_run(request)]
                else:
                    results = await self._run_batch([request for request, _ in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"a batch of {len(batch)} gave {len(results)} results")
            except Exception as exc:
                if retry or (len(batch) == 1 and self._alone_run is None):
                    _settle(batch[0][1], error=exc)
                    return
                log.warning("a coalesced batch failed; running its requests alone", size=len(batch), error=repr(exc))
                # Each alone and in the background: one request stuck (say, on a row lock) holds up
                # neither the others of its batch nor the batches after it.
                loop = asyncio.get_running_loop()
                for single in batch:
                    task = loop.create_task(self._run([single], retry=True))
                    self._alone.add(task)
                    task.add_done_callback(self._alone.discard)
                return
            unwanted = [result for (_, future), result in zip(batch, results, strict=True) if future.done()]
            for (_, future), result in zip(batch, results, strict=True):
                _settle(future, result=result)
            if unwanted and self._abandoned is not None:
                await self._abandoned(unwanted)
        except BaseException as exc:
            for _, future in batch:
                _settle(future, error=exc if isinstance(exc, Exception) else RuntimeError("batching stopped"))
            raise


def _settle(future: asyncio.Future[R], *, result: R | None = None, error: BaseException | None = None) -> None:
    if future.done():  # the caller went away (cancelled)
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)  # type: ignore[arg-type]
