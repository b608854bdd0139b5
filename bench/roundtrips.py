"""(b) Database round trips of one package read: constant whether it has 1, 10 or 100 versions.

The packages are built through the services (create, complete the steps, publish, repeat),
each with N published versions and an open draft. The app runs in this process under
uvicorn (a thread), so a ``before_cursor_execute`` listener sees every statement it sends;
only statements sent while a request is in flight are counted.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine
from strawberry.relay import GlobalID

from api.app import HUB_LOGGING_TOKEN
from bench import documents
from bench.support import BenchError, Measurement, Profile, bearer, graphql_data, issue_actor, median
from db.engine import make_engine, make_sessionmaker
from db.uow import UnitOfWork
from tests.support.content import CONFIG, VALID_STEPS
from tests.support.results import finish_jobs
from tests.support.servers import InProcessServer
from workflow import drafts, packages
from workflow.access import Actor
from workflow.drafts import DraftOutcome, PackageRef
from workflow.steps import STEP_ORDER

VERSION_COUNTS = (1, 10, 100)
_COLUMNS = re.compile(r"SELECT (DISTINCT ON \([^)]*\) )?.*? FROM")
_IN_LIST = re.compile(r"IN \((\$\d+::\w+)(?:, \$\d+::\w+)+\)")


class StatementCounter:
    """Keeps the statements (column lists elided) sent while ``active``."""

    def __init__(self) -> None:
        self.active = False
        self.statements: list[str] = []

    def __call__(self, *args: Any) -> None:  # (conn, cursor, statement, parameters, context, executemany)
        if self.active and args[0].get_execution_options().get("logging_token") != HUB_LOGGING_TOKEN:
            statement = _COLUMNS.sub("SELECT … FROM", " ".join(str(args[2]).split()))
            self.statements.append(_IN_LIST.sub(lambda found: f"IN ({found[1]}, …)", statement))


async def _build(database_url: str, actor: Actor, published: int) -> uuid.UUID:
    """A package with ``published`` published versions and an open draft, built through the services."""
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    try:
        async with UnitOfWork(sessions) as uow:
            package, version = await packages.create(uow, actor, steps=VALID_STEPS)
        target, revision = PackageRef(package.id), version.revision
        for number in range(1, published + 2):
            if number > 1:  # open the next draft with a change (epochs 3 ↔ 4)
                async with UnitOfWork(sessions) as uow:
                    steps = {"config": {**CONFIG, "epochs": 3 + (number + 1) % 2}}
                    outcome = await drafts.save(uow, actor, target, steps, expected_revision=revision)
                revision = outcome.revision
            if number > published:
                break
            await finish_jobs(database_url, package.id)  # the workers' results (pending is not done)
            revision = await _complete_all(sessions, actor, target, revision)
            async with UnitOfWork(sessions) as uow:
                revision = (
                    await drafts.publish(uow, actor, target, expected_revision=revision, changelog=None)
                ).revision
        return package.id
    finally:
        await engine.dispose()


async def _complete_all(sessions: Any, actor: Actor, target: PackageRef, revision: int) -> int:
    for step in STEP_ORDER:
        async with UnitOfWork(sessions) as uow:
            outcome: DraftOutcome = await drafts.complete_step(uow, actor, target, step, expected_revision=revision)
        revision = outcome.revision
        status = outcome.version.step_states[step.value]["status"]
        if status != "COMPLETE":
            raise BenchError(f"step {step.value} did not complete: {outcome.version.step_states[step.value]}")
    return revision


async def _read(client: httpx.AsyncClient, package_id: uuid.UUID, expected_versions: int) -> float:
    began = time.perf_counter()
    response = await client.post(
        "/graphql", json={"query": documents.PACKAGE, "variables": {"id": str(GlobalID("Package", str(package_id)))}}
    )
    elapsed = time.perf_counter() - began
    node = graphql_data(response)["node"]
    edges = node["versions"]["edges"]
    if node["draft"] is None or len(edges) != min(expected_versions, 100):
        raise BenchError(f"unexpected package read: draft={node['draft']}, {len(edges)} versions")
    return elapsed


async def _measure(base_url: str, secret: str, built: dict[int, uuid.UUID], profile: Profile) -> Measurement:
    counter = StatementCounter()
    counts: dict[int, int] = {}
    statements: dict[int, list[str]] = {}
    timings: dict[int, list[float]] = {count: [] for count in built}
    event.listen(Engine, "before_cursor_execute", counter)
    try:
        async with httpx.AsyncClient(base_url=base_url, headers=bearer(secret), timeout=60) as client:
            for count, package_id in built.items():
                await _read(client, package_id, count + 1)  # warm caches and the pool first
                counter.statements.clear()
                counter.active = True
                await _read(client, package_id, count + 1)
                counter.active = False
                counts[count], statements[count] = len(counter.statements), list(counter.statements)
            for repetition in range(profile.latency_repetitions):
                order = list(built.items()) if repetition % 2 == 0 else list(reversed(built.items()))
                for count, package_id in order:
                    timings[count].append(await _read(client, package_id, count + 1))
    finally:
        event.remove(Engine, "before_cursor_execute", counter)
    constant = len(set(counts.values())) == 1
    latencies = {count: median(values) * 1000 for count, values in timings.items()}
    return Measurement(
        name="(b) statements per package read",
        summary=(
            ", ".join(f"{count}v: {counts[count]} stmts" for count in built)
            + "; median "
            + "/".join(f"{latencies[count]:.1f}" for count in built)
            + " ms (100v/1v statements)"
        ),
        ratio=counts[VERSION_COUNTS[-1]] / counts[VERSION_COUNTS[0]],
        target="equal for 1/10/100 versions",
        passed=constant,
        details={
            "statements": {str(count): value for count, value in counts.items()},
            "latency_ms_median": {str(count): round(value, 2) for count, value in latencies.items()},
            "statement_texts": {str(count): value for count, value in statements.items()},
            "versions": "N published versions plus an open draft; versions(first: 100)",
        },
    )


def run(database_url: str, profile: Profile) -> Measurement:
    """Build the three packages, then count and time one read of each through the in-process server."""

    async def build() -> tuple[str, dict[int, uuid.UUID]]:
        secret, actor = await issue_actor(database_url, "bench-roundtrips")
        built = {count: await _build(database_url, actor, count) for count in VERSION_COUNTS}
        return secret, built

    secret, built = asyncio.run(build())
    with InProcessServer.start(database_url) as server:
        return asyncio.run(_measure(server.base_url, secret, built, profile))
