"""The Dramatiq broker: Redis, with the AsyncIO middleware so actors can await the services."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware.asyncio import AsyncIO


def redis_broker(redis_url: str) -> dramatiq.Broker:
    """A Redis broker whose actors may be ``async def``; installed as the global broker."""
    broker = RedisBroker(url=redis_url)  # type: ignore[no-untyped-call]
    broker.add_middleware(AsyncIO())
    dramatiq.set_broker(broker)
    return broker
