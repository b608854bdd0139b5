"""The worker of the jobs benchmark (``dramatiq bench.jobs_worker``): two actors on one Redis broker.

``bench.noop`` is the baseline: a bare Dramatiq actor that only counts itself done (one Redis
INCR, so completion can be observed); ``bench.async_noop`` is the same as an ``async def``
actor, run on Dramatiq's event loop like the job actors. ``bench.job`` runs a download job
through the real machinery (claim with its row update and event, time limit and reporter
timer, the outcome with its row update and event) around a body that does nothing, then
counts itself done the same way.
"""

from __future__ import annotations

import redis
import redis.asyncio

from trainpack.settings import load_settings
from workers.broker import redis_broker
from workers.runner import JobContext, Outcome, run_job
from workflow.job_inputs import JobKind

settings = load_settings()
assert settings.redis_url, "the jobs benchmark needs REDIS_URL"
broker = redis_broker(settings)
counter = redis.Redis.from_url(settings.redis_url)
# The job actor runs on Dramatiq's event loop: it counts itself done without blocking that loop.
async_counter = redis.asyncio.Redis.from_url(settings.redis_url)
NOOP_DONE = f"{settings.queue_namespace}:noop-done"
ASYNC_NOOP_DONE = f"{settings.queue_namespace}:async-noop-done"
JOB_DONE = f"{settings.queue_namespace}:job-done"

import dramatiq  # noqa: E402  (the broker above must be installed first)


@dramatiq.actor(actor_name="bench.noop", max_retries=0)
def noop() -> None:
    """Count one message done."""
    counter.incr(NOOP_DONE)


@dramatiq.actor(actor_name="bench.async_noop", max_retries=0)
async def async_noop() -> None:
    """Count one message done, from Dramatiq's event loop as the job actors run (a side note)."""
    await async_counter.incr(ASYNC_NOOP_DONE)


async def _nothing(_: JobContext) -> Outcome:
    return Outcome(result={})


@dramatiq.actor(actor_name="bench.job", max_retries=0)
async def job(job_id: str) -> None:
    """One download job through the machinery, with an empty body."""
    await run_job(job_id, JobKind.DOWNLOAD_MODEL, _nothing)
    await async_counter.incr(JOB_DONE)
