"""Issue 13: a dashboard's reads under load, many root fields in one document.

60 clients, each sending ``{ packages(first: 1) … jobs(first: 1) … }`` back to back for 30 s
(5 s with ``--quick``) against the real app in its own process. Root fields of one request
resolve concurrently, each on a connection of its own; before that fix 9–25 % of these
requests failed with a masked internal error. Target: every request answered without an
error (ratio = answered / sent, must be 1.000).

For scale, the same clients then send the two fields as two one-field requests each (same
number of fields answered): the rows show what batching fields in one document costs or saves.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field

import httpx

from bench.support import BenchError, Measurement, Profile, ServedApp, bearer, issue_actor, median, served
from tests.support.content import MODEL

CLIENTS = 60
MULTI_ROOT = "{ packages(first: 1) { edges { cursor } } jobs(first: 1) { edges { cursor } } }"
ONE_FIELD = ("{ packages(first: 1) { edges { cursor } } }", "{ jobs(first: 1) { edges { cursor } } }")
CREATE = """mutation ($steps: JSON) { createPackage(input: {steps: $steps}) { __typename } }"""
PACKAGES = 20


@dataclass
class Load:
    """What one side of the run sent and got back."""

    requests: int = 0
    failed: int = 0
    fields_answered: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    samples_of_failures: list[str] = field(default_factory=list)

    def record(self, response: httpx.Response | BaseException, began: float, fields: int) -> None:
        self.requests += 1
        self.latencies_ms.append((time.perf_counter() - began) * 1000)
        problem = _problem(response)
        if problem is None:
            self.fields_answered += fields
            return
        self.failed += 1
        if len(self.samples_of_failures) < 5:
            self.samples_of_failures.append(problem)


def _problem(response: httpx.Response | BaseException) -> str | None:
    """Why a reply is not a clean answer, or ``None`` when it is."""
    if isinstance(response, BaseException):
        return f"{type(response).__name__}: {response}"
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    body = response.json()
    if body.get("errors") or body.get("data") is None:
        return f"errors: {body.get('errors')}"
    return None


async def _client(http: httpx.AsyncClient, url: str, documents: tuple[str, ...], until: float, load: Load) -> None:
    while time.perf_counter() < until:
        for document in documents:
            began = time.perf_counter()
            try:
                response: httpx.Response | BaseException = await http.post(url, json={"query": document})
            except httpx.HTTPError as exc:
                response = exc
            load.record(response, began, 2 if document == MULTI_ROOT else 1)


async def _drive(app: ServedApp, secret: str, documents: tuple[str, ...], seconds: float) -> tuple[Load, float]:
    load = Load()
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(timeout=60, headers=bearer(secret), limits=limits) as http:
        url = f"{app.base_url}/graphql"
        began = time.perf_counter()
        until = began + seconds
        await asyncio.gather(*(_client(http, url, documents, until, load) for _ in range(CLIENTS)))
        return load, time.perf_counter() - began


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def _measure(app: ServedApp, database_url: str, profile: Profile) -> Measurement:
    secret, _ = await issue_actor(database_url, "bench-reads")
    async with httpx.AsyncClient(timeout=60, headers=bearer(secret)) as http:
        for _ in range(PACKAGES):  # each starts a model job, so both lists have rows
            reply = await http.post(
                f"{app.base_url}/graphql", json={"query": CREATE, "variables": {"steps": {"model": MODEL}}}
            )
            if _problem(reply) is not None:
                raise BenchError(f"could not create the packages: {reply.text[:500]}")
    seconds = 5.0 if profile.quick else 30.0
    await _drive(app, secret, (MULTI_ROOT,), profile.warmup_seconds)
    multi, multi_seconds = await _drive(app, secret, (MULTI_ROOT,), seconds)
    single, single_seconds = await _drive(app, secret, ONE_FIELD, seconds)
    answered = (multi.requests - multi.failed) / multi.requests
    rates = {
        "multi-root fields/s": multi.fields_answered / multi_seconds,
        "one-field fields/s": single.fields_answered / single_seconds,
    }
    summary = (
        f"{multi.requests} multi-root requests in {multi_seconds:.0f} s, {multi.failed} failed; "
        f"p50 {median(multi.latencies_ms):.0f} ms, p99 {_percentile(multi.latencies_ms, 0.99):.0f} ms; "
        f"{rates['multi-root fields/s']:.0f} vs {rates['one-field fields/s']:.0f} fields/s as one-field requests"
    )
    return Measurement(
        name="(h) 60-way multi-root reads",
        summary=summary,
        ratio=answered,
        target="answered/sent = 1.000 (0 errors)",
        passed=multi.failed == 0 and single.failed == 0,
        details={
            "clients": CLIENTS,
            "seconds": seconds,
            "fields_per_second": rates,
            "multi_root": {key: value for key, value in asdict(multi).items() if key != "latencies_ms"},
            "one_field": {key: value for key, value in asdict(single).items() if key != "latencies_ms"},
            "multi_root_p50_ms": median(multi.latencies_ms),
            "multi_root_p99_ms": _percentile(multi.latencies_ms, 0.99),
        },
    )


def run(database_url: str, profile: Profile) -> Measurement:
    """Serve the real app and load it with concurrent multi-root reads."""
    with served("system", database_url) as app:
        return asyncio.run(_measure(app, database_url, profile))
