"""Periodic messages from each worker process (the sweeper, housekeeping).

Every worker process sends them; the actors are idempotent, so duplicates from several
processes are harmless. The timer runs in a plain thread: it only sends messages.
"""

from __future__ import annotations

import threading
from typing import Any

import dramatiq
import structlog
from dramatiq.middleware import Middleware

log = structlog.get_logger(__name__)


class Periodic(Middleware):
    """Send ``actor`` every ``every_seconds`` while the worker runs (a failed send waits for the next tick)."""

    def __init__(self, actor: dramatiq.Actor[[], Any], every_seconds: float, *, first_after: float = 1.0) -> None:
        self.actor = actor
        self.every_seconds = every_seconds
        self.first_after = first_after
        self._stop = threading.Event()

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        thread = threading.Thread(target=self._loop, name=f"periodic-{self.actor.actor_name}", daemon=True)
        thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stop.set()

    def _loop(self) -> None:
        wait = self.first_after
        while not self._stop.wait(wait):
            wait = self.every_seconds
            try:
                self.actor.send()
            except Exception as exc:  # the queue is down: try again at the next tick
                log.warning("could not send a periodic message", actor=self.actor.actor_name, error=repr(exc))
