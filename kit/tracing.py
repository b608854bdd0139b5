"""OpenTelemetry traces, exported only where the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set.

A process calls ``configure_tracing`` once at start: with no endpoint nothing is set up and
every tracer is the API's no-op one (no cost beyond a function call). With one, spans go out in
batches over OTLP/HTTP, and asyncpg is instrumented (every statement of the ORM and of the hot
paths goes through it). The HTTP request, the GraphQL operation and the Dramatiq message carry
the trace across processes: a mutation and the jobs it starts are one trace.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

from opentelemetry import context, propagate, trace

ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
_configured = False


def tracing_enabled() -> bool:
    """Whether this process exports traces (the standard endpoint variable is set)."""
    return bool(os.environ.get(ENDPOINT))


def configure_tracing(service_name: str) -> bool:
    """Export this process's spans when an endpoint is configured; whether it does."""
    global _configured
    if not tracing_enabled():
        return False
    if _configured:
        return True
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME") or service_name
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]
    _configured = True
    return True


def inject(carrier: MutableMapping[str, str]) -> None:
    """Write the current trace context into ``carrier`` (a message's options)."""
    propagate.inject(carrier)


def extracted(carrier: Mapping[str, str]) -> context.Context:
    """The trace context a carrier holds (an empty one when it holds none)."""
    return propagate.extract(carrier)
