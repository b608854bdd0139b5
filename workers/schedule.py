"""Periodic messages from each worker process (the sweeper, housekeeping).

Every worker process sends them; the actors are idempotent, so duplicates from several
processes are harmless. One middleware owns every schedule (Dramatiq warns about a middleware
type added twice), and its timer runs in a plain thread: it only sends messages.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dramatiq
import structlog
from dramatiq.middleware import Middleware

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Schedule:
    """Send ``actor`` every ``every_seconds``, the first time ``first_after`` seconds after boot."""

    actor: dramatiq.Actor[[], Any]
    every_seconds: float
    first_after: float = 1.0


class Periodic(Middleware):
    """Sends each scheduled actor on time while the worker runs (a failed send waits for the next tick)."""

    def __init__(self, schedules: Sequence[Schedule]) -> None:
        self.schedules = tuple(schedules)
        self._stop = threading.Event()

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        threading.Thread(target=self._loop, name="periodic-messages", daemon=True).start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stop.set()

    def _loop(self) -> None:
        started = time.monotonic()
        due = [started + schedule.first_after for schedule in self.schedules]
        while self.schedules:
            index = min(range(len(due)), key=due.__getitem__)
            if self._stop.wait(max(0.0, due[index] - time.monotonic())):
                return
            schedule = self.schedules[index]
            due[index] = time.monotonic() + schedule.every_seconds
            try:
                schedule.actor.send()
            except Exception as exc:  # the queue is down: try again at the next tick
                log.warning("could not send a periodic message", actor=schedule.actor.actor_name, error=repr(exc))
