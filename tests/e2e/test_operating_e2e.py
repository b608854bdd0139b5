"""Operating trainpack: Prometheus metrics from the API and from a worker, and one trace from a
mutation to the job it starts (a local OTLP receiver, the real exporter, real processes)."""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.conftest import issue_token
from tests.support.graphql import Api
from tests.support.hub_standin import HubStandin
from tests.support.job_stack import new_package, save, wait_for_jobs, worker_env, worker_process
from tests.support.model_files import tiny_llama
from tests.support.servers import InProcessServer, free_port, subprocess_server
from tests.support.waiting import until
from tests.support.ws import WsClient

MODEL = {"model": {"source": "HUB", "repoId": "acme/tiny-llama", "revision": "main"}}
SUBSCRIBE = "subscription { organisationEvents { __typename cursor } }"


def _series(text: str) -> dict[str, list[dict[str, str]]]:
    """Every sample name with the labels it was seen with."""
    found: dict[str, list[dict[str, str]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(dict(sample.labels))
    return found


def _has(series: dict[str, list[dict[str, str]]], name: str, **labels: str) -> bool:
    return any(all(seen.get(key) == value for key, value in labels.items()) for seen in series.get(name, []))


async def test_metrics_of_the_api_and_of_a_worker_after_a_job_and_a_subscription(
    database_url: str, redis_url: str
) -> None:
    namespace = f"metrics-{uuid.uuid4().hex[:8]}"
    worker_port = free_port()
    with HubStandin() as hub, tempfile.TemporaryDirectory(prefix="trainpack-models-") as cache:
        hub.add_model("acme/tiny-llama", tiny_llama().files)
        env = worker_env(database_url, redis_url, hub.url, cache, namespace)
        env["TRAINPACK_WORKER_METRICS_PORT"] = str(worker_port)
        with InProcessServer.start(database_url, redis_url=redis_url, queue_namespace=namespace) as server:
            token = await issue_token(database_url)
            async with Api(server.graphql_url, token) as api, WsClient(server.graphql_url) as live:
                await live.init(token)
                await live.subscribe("1", SUBSCRIBE)
                await until(
                    lambda: server.services.hub is not None and server.services.hub.subscribers > 0, "subscribed"
                )
                package_id, revision = await new_package(api)
                await save(api, package_id, revision, MODEL)
                assert (await live.receive())["type"] == "next"
                await api.raw('{ packages(after: "bm9wZQ==") { edges { cursor } } }')  # a client's mistake
                queued = _series(await _text(f"{server.base_url}/metrics"))
                assert _has(queued, "trainpack_jobs", kind="RESOLVE_MODEL", status="QUEUED")
                assert _has(queued, "trainpack_job_queue_oldest_seconds", kind="RESOLVE_MODEL")
                with worker_process(env):
                    await wait_for_jobs(api, package_id, "RESOLVE_MODEL", 1)
                    worker = await _scrape(f"http://127.0.0.1:{worker_port}/metrics", "trainpack_jobs_finished_total")
                api_side = _series(await _text(f"{server.base_url}/metrics"))
    assert _has(api_side, "trainpack_http_requests_total", operation="mutation saveDraft", status="200")
    assert _has(api_side, "trainpack_http_request_seconds_bucket", operation="query packages")
    assert _has(api_side, "trainpack_graphql_errors_total", code="BAD_CURSOR")
    assert _has(api_side, "trainpack_live_subscriptions")
    assert _has(api_side, "trainpack_live_deliveries_total")
    assert _has(api_side, "trainpack_event_log_lag_seconds")
    assert _has(api_side, "trainpack_db_pool_connections", pool="api", state="in_use")
    assert _has(worker, "trainpack_jobs_finished_total", kind="RESOLVE_MODEL", status="SUCCEEDED")
    assert _has(worker, "trainpack_job_duration_seconds_bucket", kind="RESOLVE_MODEL", status="SUCCEEDED")
    assert _has(worker, "trainpack_db_pool_connections", pool="worker")
    assert _has(worker, "dramatiq_messages_total", actor_name="model.resolve")


async def _text(url: str) -> str:
    async with httpx.AsyncClient(timeout=5) as client:
        return (await client.get(url)).text


async def _scrape(url: str, wanted: str) -> dict[str, list[dict[str, str]]]:
    """The worker's metrics once ``wanted`` shows (its processes write their samples as they go)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            series = _series(await _text(url))
            if wanted in series:
                return series
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} never showed {wanted}")
        await asyncio.sleep(0.2)


@dataclass
class _Receiver:
    """A local OTLP/HTTP trace receiver: the spans of every export, as (service, name, trace id, span id, parent)."""

    url: str
    spans: list[tuple[str, str, bytes, bytes, bytes]] = field(default_factory=list)


@contextmanager
def _otlp_receiver() -> Iterator[_Receiver]:
    port = free_port()
    receiver = _Receiver(f"http://127.0.0.1:{port}")

    async def traces(request: Request) -> Response:
        export = ExportTraceServiceRequest()
        export.ParseFromString(await request.body())
        for resource_spans in export.resource_spans:
            service = next(
                (a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"), ""
            )
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    receiver.spans.append((service, span.name, span.trace_id, span.span_id, span.parent_span_id))
        return Response(ExportTraceServiceRequest().SerializeToString(), media_type="application/x-protobuf")

    app = Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.02)
        yield receiver
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.slow
async def test_one_trace_runs_from_a_mutation_to_the_job_it_starts(database_url: str, redis_url: str) -> None:
    namespace = f"traces-{uuid.uuid4().hex[:8]}"
    with (
        _otlp_receiver() as receiver,
        HubStandin() as hub,
        tempfile.TemporaryDirectory(prefix="trainpack-models-") as cache,
    ):
        hub.add_model("acme/tiny-llama", tiny_llama().files)
        tracing = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_BSP_SCHEDULE_DELAY": "200"}
        env = {**worker_env(database_url, redis_url, hub.url, cache, namespace), **tracing}
        with (
            subprocess_server(
                database_url,
                REDIS_URL=redis_url,
                TRAINPACK_QUEUE_NAMESPACE=namespace,
                OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url,
                OTEL_BSP_SCHEDULE_DELAY="200",
            ) as base_url,
            worker_process(env),
        ):
            async with Api(f"{base_url}/graphql", await issue_token(database_url)) as api:
                package_id, revision = await new_package(api)
                await save(api, package_id, revision, MODEL)
                await wait_for_jobs(api, package_id, "RESOLVE_MODEL", 1)

            def linked() -> bool:
                jobs = [span for span in receiver.spans if span[0] == "trainpack-worker" and span[1].startswith("job ")]
                api_traces = {span[2] for span in receiver.spans if span[0] == "trainpack-api"}
                return any(job[2] in api_traces for job in jobs)

            try:
                await until(linked, "a job span shares its trace with the API's request", timeout=20)
            except AssertionError:
                print(sorted({(span[0], span[1]) for span in receiver.spans}))
                raise
    # A busy machine may deliver the message twice (the second finds the job taken): the span of
    # the delivery that ran it is the one in the request's trace.
    api_traces = {s[2] for s in receiver.spans if s[0] == "trainpack-api"}
    job = next(
        s for s in receiver.spans if s[0] == "trainpack-worker" and s[1] == "job model.resolve" and s[2] in api_traces
    )
    in_trace = [s for s in receiver.spans if s[2] == job[2]]
    assert any(s[0] == "trainpack-api" and "saveDraft" in s[1] for s in in_trace), in_trace
    assert any(s[0] == "trainpack-worker" and s[4] == job[3] for s in in_trace)  # the job's statements, under it
