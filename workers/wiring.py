"""Binding the actors to a broker: the same for a Redis worker process and the in-process dev worker."""

from __future__ import annotations

import dramatiq
from dramatiq.middleware.prometheus import Prometheus

from db.uow import set_job_sender
from trainpack.settings import Settings
from workers.broker import job_sender
from workers.schedule import Periodic, Schedule

PRUNE_EVERY_SECONDS = 3600.0


def install_actors(broker: dramatiq.Broker, settings: Settings, *, metrics: bool = False) -> None:
    """Import the actors (they bind to the global broker, which must be set first) and the timers;
    with ``metrics``, Dramatiq's Prometheus middleware and its exposition server (worker processes:
    an API process running the actors serves its metrics itself)."""
    from workers import bundles, datasets, estimates, hardware, maintenance, models, sweeper  # noqa: F401  (registers the actors)

    if metrics:
        broker.add_middleware(Prometheus())
    sender = job_sender(broker)
    set_job_sender(sender)
    sweeper.use_sender(sender)
    schedules = [
        Schedule(sweeper.sweep, settings.sweep_every_seconds),
        Schedule(maintenance.prune, PRUNE_EVERY_SECONDS, first_after=PRUNE_EVERY_SECONDS),
    ]
    if settings.hardware_refresh_seconds > 0:
        schedules.append(
            Schedule(
                hardware.refresh,
                settings.hardware_refresh_seconds,
                first_after=settings.hardware_refresh_first_after_seconds,
            )
        )
    broker.add_middleware(Periodic(schedules))
