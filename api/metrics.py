"""The API's Prometheus metrics: requests by operation and status, GraphQL errors, and the
state read at each scrape (live subscriptions, unfinished jobs and queue age, pool usage)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import structlog
from graphql import GraphQLError, OperationDefinitionNode
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from api.context import Services
from api.masking import is_unexpected
from db.repositories.jobs import JobRepository
from kit.metrics import (
    GRAPHQL_ERRORS,
    HTTP_REQUESTS,
    HTTP_SECONDS,
    JOB_QUEUE_AGE,
    JOBS,
    LIVE_SUBSCRIPTIONS,
    error_code,
    record_pool,
)

log = structlog.get_logger(__name__)
OPERATION = "trainpack.operation"  # where the GraphQL layer names the request's operation in its ASGI scope


class RequestMetrics:
    """Counts and times every HTTP request by operation and status (ASGI middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before it answers

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            operation = scope.get(OPERATION) or scope.get("path", "")
            HTTP_REQUESTS.labels(operation, str(status)).inc()
            HTTP_SECONDS.labels(operation).observe(time.perf_counter() - started)


class OperationLabel(SchemaExtension):
    """Names a request's operation for the request metrics: its type and first root field (e.g.
    ``mutation saveDraft``), bounded by the schema whatever the client calls the operation."""

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        request = getattr(execution.context, "request", None)
        document = execution.graphql_document
        if request is not None and document is not None:
            operation = next((node for node in document.definitions if isinstance(node, OperationDefinitionNode)), None)
            if operation is not None and operation.selection_set.selections:
                first = operation.selection_set.selections[0]
                name = getattr(getattr(first, "name", None), "value", "…")
                request.scope[OPERATION] = f"{operation.operation.value} {name}"
        yield


def record_errors(errors: list[GraphQLError]) -> None:
    """Count and log the errors of an answer: a client's mistake at info without a traceback,
    an unexpected one as one error line with its traceback."""
    for error in errors:
        if is_unexpected(error):
            GRAPHQL_ERRORS.labels("INTERNAL").inc()
            log.error("unexpected error", path=error.path, exc_info=error.original_error)
            continue
        code = error_code((error.extensions or {}).get("code") or "GRAPHQL_VALIDATION_FAILED")
        GRAPHQL_ERRORS.labels(code).inc()
        log.info("request refused", code=code, error=error.message, path=error.path)


async def metrics_endpoint(services: Services, _: Request) -> Response:
    """The Prometheus exposition, with the gauges read now (jobs from the database, the truth)."""
    hub = services.hub
    LIVE_SUBSCRIPTIONS.set(hub.subscribers if hub is not None else 0)
    _pool("api", services.read_engine)
    try:
        async with services.read_sessionmaker() as session:
            stats = await JobRepository(session).unfinished_stats()
    except Exception as exc:  # a database down still lets the process's own figures be read
        log.warning("metrics could not read the jobs", error=str(exc))
    else:
        JOBS.clear()
        JOB_QUEUE_AGE.clear()
        now = datetime.now(UTC)
        for kind, status, count, oldest in stats:
            JOBS.labels(kind, status).set(count)
            if status == "QUEUED" and oldest is not None:
                JOB_QUEUE_AGE.labels(kind).set(max((now - oldest).total_seconds(), 0.0))
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def _pool(name: str, engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool
    if isinstance(pool, QueuePool):
        record_pool(name, size=pool.size(), checked_out=pool.checkedout(), overflow=pool.overflow())
