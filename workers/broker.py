"""The Dramatiq broker (Redis, or an in-process one when no Redis is configured) and job sending."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware.asyncio import AsyncIO

from db.uow import JobSender
from kit.tracing import tracing_enabled
from trainpack.settings import Settings
from workers.tracing import Tracing
from workflow.job_inputs import ACTOR_NAMES, JobKind

QUEUE = "default"


def redis_broker(settings: Settings) -> dramatiq.Broker:
    """A Redis broker whose actors may be ``async def``; installed as the global broker.

    Connection timeouts are short so a Redis outage fails a send quickly (the job row stays
    unsent and the sweeper sends it later) instead of hanging the request that created it.
    """
    assert settings.redis_url
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        url=settings.redis_url,
        namespace=settings.queue_namespace,
        heartbeat_timeout=settings.broker_heartbeat_ms,
        maintenance_chance=settings.broker_maintenance_chance,
        socket_connect_timeout=2,
        socket_timeout=10,
    )
    broker.add_middleware(AsyncIO())
    if tracing_enabled():  # the trace of whoever sends a job goes with its message
        broker.add_middleware(Tracing())
    dramatiq.set_broker(broker)
    return broker


def in_process_broker() -> dramatiq.Broker:
    """A broker living in this process, for running the actors without Redis (the dev command)."""
    broker = StubBroker()
    broker.add_middleware(AsyncIO())
    if tracing_enabled():
        broker.add_middleware(Tracing())
    dramatiq.set_broker(broker)
    return broker


def job_sender(broker: dramatiq.Broker) -> JobSender:
    """Sends ``(job id, kind, delay)`` messages to the job's actor; the message carries only the id."""
    broker.declare_queue(QUEUE)

    def send_all(jobs: Sequence[tuple[uuid.UUID, str, int]]) -> None:
        for job_id, kind, delay_ms in jobs:
            message = dramatiq.Message(  # type: ignore[var-annotated]
                queue_name=QUEUE,
                actor_name=ACTOR_NAMES[JobKind(kind)],
                args=(str(job_id),),
                kwargs={},
                options={},
            )
            broker.enqueue(message, delay=delay_ms or None)

    async def send(jobs: Sequence[tuple[uuid.UUID, str, int]]) -> None:
        await asyncio.to_thread(send_all, jobs)

    return send
