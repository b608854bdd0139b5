"""How an API process reaches the job queue: Redis when configured, else workers in this process.

With ``REDIS_URL`` the API only sends messages (``trainpack worker`` runs the actors). Without
it, as under ``trainpack dev`` on a machine with only Python, the same actors run in this
process on Dramatiq's in-memory broker with a small worker pool, sweeper included.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import dramatiq
import structlog

from db.uow import set_job_sender
from trainpack.settings import Settings
from workers.broker import in_process_broker, job_sender, redis_broker
from workers.wiring import install_actors

log = structlog.get_logger(__name__)
IN_PROCESS_THREADS = 2


@asynccontextmanager
async def job_queue(settings: Settings) -> AsyncIterator[None]:
    """Connect this process to the job queue for its lifetime."""
    if settings.redis_url:
        broker = redis_broker(settings)
        set_job_sender(job_sender(broker))
        try:
            yield
        finally:
            set_job_sender(None)
            broker.close()
        return
    broker = in_process_broker()
    install_actors(broker, settings)
    worker = dramatiq.Worker(broker, worker_threads=IN_PROCESS_THREADS)
    worker.start()
    log.info("no REDIS_URL: running the job actors in this process")
    try:
        yield
    finally:
        worker.stop()
        set_job_sender(None)
        broker.close()
