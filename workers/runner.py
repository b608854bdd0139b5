"""How every job actor runs: claim the row, work with progress and cancellation, record the outcome.

Delivery is at least once. The claim makes a duplicate message harmless: a finished or
cancelled job is skipped, and a running one is taken over only once its worker has stopped
renewing its lease (killed mid-job). Transient failures go back to the queue with backoff;
permanent ones fail the job at once with their code.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import dramatiq
import structlog
from dramatiq.common import compute_backoff

from db.errors import unstorable
from db.models import Job
from db.uow import UnitOfWork
from kit.metrics import JOB_SECONDS, JOBS_FINISHED
from trainpack.settings import Settings
from workers.coalescing import Coalescer
from workers.database import job_batches, record_pools, unit_of_work, worker_settings
from workers.integrations.errors import Cancelled, IntegrationError
from workflow import builds, jobs
from workflow.job_inputs import ACTOR_NAMES, JobKind

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Outcome:
    """A job's result (shown to clients) and, for resolutions and profiles, the facts it establishes."""

    result: Mapping[str, Any]
    facts: Mapping[str, Any] | None = None


@dataclass
class JobContext:
    """What a job body gets: its row, the settings, a cancel signal and a progress hook."""

    job: Job
    settings: Settings
    cancel: threading.Event = field(default_factory=threading.Event)
    _latest: tuple[float | None, str | None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def progress(self, fraction: float | None, message: str | None = None) -> None:
        """Note progress (from any thread); the runner writes the latest at most a few times a second."""
        with self._lock:
            self._latest = (fraction, message)
        if self.cancel.is_set():
            raise Cancelled()

    def take_progress(self) -> tuple[float | None, str | None] | None:
        """The progress noted since the last call, if any."""
        with self._lock:
            latest, self._latest = self._latest, None
        return latest


Body = Callable[[JobContext], Coroutine[Any, Any, Outcome]]

LEARNING_KINDS = frozenset({JobKind.RESOLVE_MODEL, JobKind.PROFILE_DATASET, JobKind.ESTIMATE_COST})
"""Kinds whose outcome teaches the package something: a failure of theirs becomes a step error."""
UNSTORABLE = "JOB_OUTCOME_UNSTORABLE"

Conclude = Callable[[UnitOfWork, jobs.Ending], Awaitable[Job | None]]
STAGE_ENDINGS: Mapping[JobKind, Conclude] = {JobKind.BUILD_PACKAGE: builds.conclude}
"""Kinds that are a stage of something larger: their ending also records that stage (the publish
pipeline's), in the ending's own transaction rather than a coalesced batch."""

# Dramatiq's own retries are off: the runner re-queues transient failures with backoff itself,
# counting attempts on the job row, so a retry survives a worker restart. The job time limit is
# enforced by the runner with a coded error; Dramatiq's is only a backstop.
ACTOR_TIME_LIMIT_MS = 24 * 3600 * 1000


def job_actor(kind: JobKind, body: Body) -> dramatiq.Actor[[str], Awaitable[None]]:
    """Declare the actor that runs jobs of ``kind`` with ``body``, under its name in ``ACTOR_NAMES``
    (the name the senders use)."""

    async def run(job_id: str) -> None:
        await run_job(job_id, kind, body)

    run.__doc__ = body.__doc__
    declare = dramatiq.actor(actor_name=ACTOR_NAMES[kind], max_retries=0, time_limit=ACTOR_TIME_LIMIT_MS)
    return declare(run)


@dataclass(frozen=True)
class _Verdict:
    """How an attempt ends, and what its ending teaches the package."""

    ending: jobs.Ending
    facts: Mapping[str, Any] | None = None
    failure_is_fact: bool = False


async def run_job(job_id: str, kind: JobKind, body: Body) -> None:
    """Run one delivery of a job message to completion (never raises: the row records the outcome)."""
    settings = worker_settings()
    job = await _steps().claims.submit(uuid.UUID(job_id))
    if job is None:
        log.info("job skipped: finished, cancelled or running elsewhere", job_id=job_id)
        return
    started = time.monotonic()
    learns = kind in LEARNING_KINDS
    if job.cancel_requested:  # asked to stop while its last worker was gone: nothing to run
        verdict: _Verdict | None = _Verdict(jobs.Ending.cancelled(job))
    elif job.attempts > settings.job_max_attempts:
        # Each earlier attempt died without an outcome (its worker killed, or the outcome lost):
        # a re-send must not start it again and again.
        message = f"The job was started {job.attempts - 1} times and never finished; it is not tried again."
        verdict = _Verdict(jobs.Ending.failed(job, "JOB_ATTEMPTS_EXHAUSTED", message), failure_is_fact=learns)
    else:
        verdict = await _attempt(JobContext(job, settings), kind, body)
    status = "RETRYING" if verdict is None else await _end(verdict, learns=learns, stage=STAGE_ENDINGS.get(kind))
    JOBS_FINISHED.labels(kind.value, status).inc()
    JOB_SECONDS.labels(kind.value, status).observe(time.monotonic() - started)
    record_pools()


async def _attempt(context: JobContext, kind: JobKind, body: Body) -> _Verdict | None:
    """Run the body once: its verdict, or ``None`` when the job went back to the queue to retry."""
    job, settings = context.job, context.settings
    work = asyncio.create_task(body(context), name=f"job-{job.id}")
    reporting = _Reporting(context, work)
    try:
        async with asyncio.timeout(settings.job_time_limit_seconds):
            outcome = await work
    except Cancelled:
        return _Verdict(jobs.Ending.cancelled(job))
    except asyncio.CancelledError:
        if _cancelled_from_outside():
            raise
        return _Verdict(jobs.Ending.cancelled(job))  # a client cancelled; the body never asked itself
    except TimeoutError:
        context.cancel.set()
        message = f"The job ran past its time limit of {settings.job_time_limit_seconds:.0f} s."
        return _Verdict(jobs.Ending.failed(job, "JOB_TIME_LIMIT", message))
    except IntegrationError as error:
        return await _failed(context, kind, error)
    except Exception:  # an unexpected bug must still end the job, visibly and without a traceback to clients
        log.exception("job failed unexpectedly", job_id=str(job.id), kind=kind.value)
        return _Verdict(jobs.Ending.failed(job, "JOB_INTERNAL_ERROR", "The job failed unexpectedly."))
    finally:
        await reporting.stop()
    if context.cancel.is_set():
        return _Verdict(jobs.Ending.cancelled(job))
    return _Verdict(jobs.Ending.succeeded(job, outcome.result), facts=outcome.facts)


def _cancelled_from_outside() -> bool:
    """Whether the running delivery itself is being cancelled (worker shutdown), not only its body."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def _failed(context: JobContext, kind: JobKind, error: IntegrationError) -> _Verdict | None:
    job = context.job
    settings = context.settings
    if error.transient and job.attempts < settings.job_max_attempts:
        backoff_ms = compute_backoff(
            job.attempts, factor=settings.job_min_backoff_ms, max_backoff=settings.job_max_backoff_ms, jitter=True
        )[1]
        delay_ms = max(backoff_ms, int((error.retry_after or 0) * 1000))
        log.info("job retrying", job_id=str(job.id), code=error.code, attempt=job.attempts, delay_ms=delay_ms)
        async with unit_of_work() as uow:
            await jobs.retry_later(uow, job.id, error.code, error.message, timedelta(milliseconds=delay_ms))
        return None
    log.info("job failed", job_id=str(job.id), code=error.code, transient=error.transient)
    return _Verdict(jobs.Ending.failed(job, error.code, error.message), failure_is_fact=kind in LEARNING_KINDS)


async def _end(verdict: _Verdict, *, learns: bool, stage: Conclude | None = None) -> str:
    """Record the outcome: with what it taught in a transaction of its own, else coalesced with
    others; the status it ended with.

    An outcome the database refuses (text it cannot store, say) would fail the same way on every
    delivery: the job ends FAILED instead, ``JOB_OUTCOME_UNSTORABLE``, a step error where the job
    teaches the package (``learns``) rather than a check left pending for ever.
    """
    ending = verdict.ending
    try:
        if stage is not None:
            async with unit_of_work() as uow:
                await stage(uow, ending)
        elif jobs.teaches(ending, verdict.facts, verdict.failure_is_fact):
            async with unit_of_work() as uow:
                await jobs.conclude(uow, ending, facts=verdict.facts, failure_is_fact=verdict.failure_is_fact)
        else:
            await _steps().endings.submit(ending)
    except Exception as error:
        if not unstorable(error) or (ending.failure is not None and ending.failure.code == UNSTORABLE):
            raise
        log.warning("job outcome could not be stored", job_id=str(ending.job_id), error=type(error).__name__)
        message = "The job's result holds values the database cannot store; the job ended without it."
        failed = ending.failed_instead(UNSTORABLE, message)
        retried = _Verdict(failed, failure_is_fact=learns or verdict.failure_is_fact)
        return await _end(retried, learns=learns, stage=stage)
    return ending.status.value


class _Reporting:
    """The job's progress reporter, started only if the job outlives one reporting interval.

    A cancel it picks up stops ``work`` too, a heartbeat later: a body that never reports
    progress (one long call) would otherwise not notice it until it ended by itself.
    """

    def __init__(self, context: JobContext, work: asyncio.Task[Outcome]) -> None:
        loop = asyncio.get_running_loop()
        self._task: asyncio.Task[None] | None = None
        self._timer = loop.call_later(context.settings.job_progress_interval_seconds, self._start, context, work)

    def _start(self, context: JobContext, work: asyncio.Task[Outcome]) -> None:
        self._task = asyncio.get_running_loop().create_task(_report_loop(context, work))

    async def stop(self) -> None:
        """Stop reporting (the outcome is recorded next)."""
        self._timer.cancel()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


@dataclass(frozen=True)
class _Steps:
    """The coalesced steps of one event loop's jobs."""

    claims: Coalescer[uuid.UUID, Job | None]
    endings: Coalescer[jobs.Ending, Job | None]


_steps_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Steps] = weakref.WeakKeyDictionary()


def _steps() -> _Steps:
    loop = asyncio.get_running_loop()
    steps = _steps_by_loop.get(loop)
    if steps is None:
        steps = _Steps(
            Coalescer(_claim_batch, abandoned=_release, alone=_claim_alone),
            Coalescer(_end_batch, alone=_end_alone),
        )
        _steps_by_loop[loop] = steps
    return steps


def _lease() -> timedelta:
    return timedelta(seconds=worker_settings().job_lease_seconds)


async def _claim_batch(job_ids: Sequence[uuid.UUID]) -> list[Job | None]:
    """One statement whose row-lock wait is bounded: a locked job fails the batch, which is then
    retried request by request (``_claim_alone``), so it stalls only its own job."""
    claimed = await jobs.claim_batch(job_batches(), job_ids, _lease())
    # A job delivered twice at once goes to its first delivery only: the other finds it taken.
    return [claimed.pop(job_id, None) for job_id in job_ids]


async def _claim_alone(job_id: uuid.UUID) -> Job | None:
    async with unit_of_work() as uow:
        return (await jobs.claim_many(uow, [job_id], _lease())).get(job_id)


async def _release(claimed: Sequence[Job | None]) -> None:
    """Claims whose delivery was cancelled while they were being taken: give them back."""
    taken = [job for job in claimed if job is not None]
    if taken:
        async with unit_of_work() as uow:
            await jobs.release_many(uow, taken)


async def _end_batch(endings: Sequence[jobs.Ending]) -> list[Job | None]:
    finished = await jobs.end_batch(job_batches(), endings)
    if finished.waiting_organisations:  # the endings freed slots that waiting jobs can take
        async with unit_of_work() as uow:
            await jobs.release_waiting(uow, finished.waiting_organisations)
    ended = {job.id: job for job in finished.jobs}
    return [ended.pop(ending.job_id, None) for ending in endings]


async def _end_alone(ending: jobs.Ending) -> Job | None:
    async with unit_of_work() as uow:
        return (await jobs.end_many(uow, [ending])).get(ending.job_id)


async def _report_loop(context: JobContext, work: asyncio.Task[Outcome]) -> None:
    """Write progress at most every interval, renew the lease, and pick up cancellation.

    Started once the job has run for one interval: a job that ends sooner never needs it.
    """
    settings = context.settings
    last_beat = time.monotonic()
    while True:
        latest = context.take_progress()
        if latest is not None or time.monotonic() - last_beat >= settings.job_heartbeat_seconds:
            fraction, message = latest if latest is not None else (None, None)
            try:
                async with unit_of_work() as uow:
                    cancel = await jobs.report(uow, context.job, fraction, message)
            except Exception as exc:  # a missed report only delays progress; the next one retries
                log.warning("could not record job progress", job_id=str(context.job.id), error=repr(exc))
            else:
                last_beat = time.monotonic()
                if cancel and not context.cancel.is_set():
                    context.cancel.set()  # a body that reports progress stops at its next report;
                    # one that does not is stopped a heartbeat later
                    asyncio.get_running_loop().call_later(settings.job_heartbeat_seconds, work.cancel)
        await asyncio.sleep(settings.job_progress_interval_seconds)
