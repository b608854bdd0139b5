"""Dramatiq middleware carrying the trace of whoever sent a job message into the job's run.

The sender's trace context goes into the message's options; the worker opens a span for the
message under it and makes it current before the actor runs (an ``async def`` actor's coroutine
starts with a copy of that thread's context, so its statements join the span too). Installed
only when tracing is on (``kit.tracing``).
"""

from __future__ import annotations

import threading
from typing import Any

import dramatiq
from dramatiq.broker import MessageProxy
from dramatiq.middleware import Middleware
from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from kit.tracing import extracted, inject

CARRIER = "trace_context"


class Tracing(Middleware):
    """One span per processed message, a child of the span that sent it."""

    def __init__(self) -> None:
        self._tracer = trace.get_tracer("trainpack.workers")
        self._local = threading.local()  # the span and context token of the message this thread runs

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int) -> None:
        carrier: dict[str, str] = {}
        inject(carrier)
        if carrier:
            message.options[CARRIER] = carrier

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        parent = extracted(message.options.get(CARRIER) or {})
        span = self._tracer.start_span(
            f"job {message.actor_name}",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "dramatiq", "messaging.message.id": message.message_id},
        )
        self._local.current = (span, context.attach(trace.set_span_in_context(span, parent)))

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: object = None,
        exception: BaseException | None = None,
    ) -> None:
        self._finish(exception)

    def after_skip_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        self._finish(None)

    def _finish(self, exception: BaseException | None) -> None:
        current = getattr(self._local, "current", None)
        if current is None:
            return
        self._local.current = None
        span, token = current
        if exception is not None:
            span.set_status(Status(StatusCode.ERROR, type(exception).__name__))
        span.end()
        context.detach(token)
