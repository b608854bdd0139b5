"""Prometheus metrics of trainpack, defined once for every process that records them.

The API process serves them at ``/metrics``; a ``trainpack worker`` serves its processes' own on
``TRAINPACK_WORKER_METRICS_PORT`` (prometheus-client's multiprocess mode, set up by the worker
command before anything here is imported, so each worker process writes its samples to a shared
folder). Label values are bounded by the schema and the code: an operation is named by its type
and root field, never by the client's operation name; an error code that is not one of ours
counts as ``OTHER``.
"""

from __future__ import annotations

import re

from prometheus_client import Counter, Gauge, Histogram

_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,47}$")

HTTP_REQUESTS = Counter(
    "trainpack_http_requests_total",
    "HTTP requests served, by operation (GraphQL operation type and root field, or the path) and status.",
    ["operation", "status"],
)
HTTP_SECONDS = Histogram(
    "trainpack_http_request_seconds",
    "Time to answer an HTTP request, by operation.",
    ["operation"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
GRAPHQL_ERRORS = Counter(
    "trainpack_graphql_errors_total",
    "Errors in GraphQL answers (top level), by code; INTERNAL is an unexpected error (masked to the client).",
    ["code"],
)
LIVE_SUBSCRIPTIONS = Gauge("trainpack_live_subscriptions", "Live subscriptions on this process.")
LIVE_DELIVERIES = Counter("trainpack_live_deliveries_total", "Live events handed to subscribers on this process.")
EVENT_LAG = Gauge(
    "trainpack_event_log_lag_seconds",
    "How long the newest event this process dispatched waited between its commit and its dispatch.",
)
JOBS = Gauge("trainpack_jobs", "Unfinished jobs in the database, by kind and status.", ["kind", "status"])
JOB_QUEUE_AGE = Gauge(
    "trainpack_job_queue_oldest_seconds", "Age of the oldest queued (not yet running) job, by kind.", ["kind"]
)
JOBS_FINISHED = Counter(
    "trainpack_jobs_finished_total", "Job attempts ended by this process, by kind and status.", ["kind", "status"]
)
JOB_SECONDS = Histogram(
    "trainpack_job_duration_seconds",
    "Time from a job attempt's claim to its end, by kind and status.",
    ["kind", "status"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0),
)
DB_POOL = Gauge(
    "trainpack_db_pool_connections",
    "Database pool connections of this process, by pool and state (in use, idle, overflow).",
    ["pool", "state"],
    multiprocess_mode="livesum",
)


def error_code(code: object) -> str:
    """A code as a label: ours as they are, anything else ``OTHER`` (labels must stay few)."""
    return code if isinstance(code, str) and _CODE.match(code) else "OTHER"


def record_pool(pool_name: str, *, size: int, checked_out: int, overflow: int) -> None:
    """The state of one connection pool."""
    DB_POOL.labels(pool_name, "in_use").set(checked_out)
    DB_POOL.labels(pool_name, "idle").set(max(size - checked_out, 0))
    DB_POOL.labels(pool_name, "overflow").set(max(overflow, 0))
