"""(a) Autosave throughput: saveDraft(trigger: AUTOSAVE) per second over real HTTP, against a plain baseline.

Both apps run under uvicorn in their own process; this process drives them with
``CLIENTS`` keep-alive HTTP/1.1 clients, each autosaving its own package and alternating
``config.epochs`` so every save changes something. Rounds alternate between the two sides.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from strawberry.relay import GlobalID

from bench import documents
from bench.support import (
    BenchError,
    Measurement,
    Profile,
    ServedApp,
    bearer,
    graphql_data,
    issue_actor,
    median,
    served,
)
from tests.support.content import CONFIG, VALID_STEPS

CLIENTS = 8
TARGET = 0.5


@dataclass
class Draft:
    """A package being autosaved by one client: the revision to send and the last epochs value."""

    package_id: uuid.UUID
    revision: int
    epochs: int = 3

    def next_steps(self) -> dict[str, Any]:
        """A config block that differs from the stored one (epochs 3 ↔ 4)."""
        self.epochs = 7 - self.epochs
        return {"config": {**CONFIG, "epochs": self.epochs}}


@dataclass(frozen=True)
class Side:
    """One of the two apps under load, and how to speak to it."""

    name: str
    app: ServedApp
    save: Callable[[httpx.AsyncClient, Draft], Awaitable[int]]


@dataclass(frozen=True)
class Round:
    """One timed round of one side: its rate, and the server's CPU time per save (None off Linux)."""

    saves_per_second: float
    cpu_ms_per_save: float | None


async def _save_system(client: httpx.AsyncClient, draft: Draft) -> int:
    variables = {
        "input": {
            "id": str(GlobalID("Package", str(draft.package_id))),
            "expectedRevision": draft.revision,
            "steps": draft.next_steps(),
            "trigger": "AUTOSAVE",
        }
    }
    response = await client.post("/graphql", json={"query": documents.AUTOSAVE, "variables": variables})
    result: dict[str, Any] = graphql_data(response)["saveDraft"]
    if result["__typename"] != "DraftUpdated" or not result["changed"]:
        raise BenchError(f"autosave refused: {result}")
    revision: int = result["revision"]
    return revision


async def _save_baseline(client: httpx.AsyncClient, draft: Draft) -> int:
    body = {
        "id": str(draft.package_id),
        "expectedRevision": draft.revision,
        "steps": draft.next_steps(),
        "trigger": "AUTOSAVE",
    }
    response = await client.post("/autosave", json=body)
    if response.status_code != 200:
        raise BenchError(f"baseline autosave refused: HTTP {response.status_code} {response.text[:300]}")
    revision: int = response.json()["revision"]
    return revision


async def _create_drafts(base_url: str, secret: str, count: int) -> list[Draft]:
    async with httpx.AsyncClient(base_url=base_url, headers=bearer(secret), timeout=60) as client:
        drafts = []
        for _ in range(count):
            response = await client.post(
                "/graphql", json={"query": documents.CREATE, "variables": {"input": {"steps": VALID_STEPS}}}
            )
            created = graphql_data(response)["createPackage"]
            if created["__typename"] != "PackageCreated":
                raise BenchError(f"createPackage refused: {created}")
            package_id = uuid.UUID(GlobalID.from_id(created["package"]["id"]).node_id)
            drafts.append(Draft(package_id, created["draft"]["revision"]))
        return drafts


async def _drive(side: Side, secret: str, drafts: list[Draft], seconds: float) -> Round:
    """Autosaves per second of ``len(drafts)`` concurrent clients over ``seconds``."""

    async def client_loop(draft: Draft) -> int:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(
            base_url=side.app.base_url, headers=bearer(secret), limits=limits, timeout=60
        ) as c:
            await c.get("/healthz")  # open the keep-alive connection before the clock starts
            deadline = await go
            saved = 0
            while time.perf_counter() < deadline:
                draft.revision = await side.save(c, draft)
                saved += 1
            return saved

    go: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    tasks = [asyncio.create_task(client_loop(draft)) for draft in drafts]
    await asyncio.sleep(0.3)
    cpu_before, began = side.app.cpu_seconds(), time.perf_counter()
    go.set_result(began + seconds)
    saves = sum(await asyncio.gather(*tasks))
    elapsed, cpu_after = time.perf_counter() - began, side.app.cpu_seconds()
    cpu = None if cpu_before is None or cpu_after is None else (cpu_after - cpu_before) * 1000 / saves
    return Round(saves / elapsed, cpu)


async def _measure(system_app: ServedApp, baseline_app: ServedApp, database_url: str, profile: Profile) -> Measurement:
    secret, _ = await issue_actor(database_url, "bench-autosave")
    system = Side("system", system_app, _save_system)
    baseline = Side("baseline", baseline_app, _save_baseline)
    drafts = {side.name: await _create_drafts(system_app.base_url, secret, CLIENTS) for side in (system, baseline)}
    for side in (baseline, system):  # warm-up: connections, prepared statements, caches
        await _drive(side, secret, drafts[side.name], profile.warmup_seconds)
    rounds: dict[str, list[Round]] = {system.name: [], baseline.name: []}
    for round_number in range(profile.rounds):
        order = (baseline, system) if round_number % 2 == 0 else (system, baseline)
        for side in order:
            result = await _drive(side, secret, drafts[side.name], profile.autosave_seconds)
            rounds[side.name].append(result)
            cpu = f", server CPU {result.cpu_ms_per_save:.1f} ms/save" if result.cpu_ms_per_save is not None else ""
            print(f"  round {round_number + 1} {side.name:8} {result.saves_per_second:7.1f} saves/s{cpu}", flush=True)
    rates = {name: median([r.saves_per_second for r in results]) for name, results in rounds.items()}
    cpu_ms = {
        name: median([r.cpu_ms_per_save for r in results if r.cpu_ms_per_save is not None])
        for name, results in rounds.items()
        if all(r.cpu_ms_per_save is not None for r in results)
    }
    ratio = rates[system.name] / rates[baseline.name]
    cpu_note = (
        f"; server CPU {cpu_ms[system.name]:.1f} vs {cpu_ms[baseline.name]:.1f} ms/save" if len(cpu_ms) == 2 else ""
    )
    return Measurement(
        name="(a) autosave throughput",
        summary=f"system {rates[system.name]:.1f}/s, baseline {rates[baseline.name]:.1f}/s{cpu_note}",
        ratio=ratio,
        target=f"system/baseline >= {TARGET}",
        passed=ratio >= TARGET,
        details={
            "saves_per_second_median": rates,
            "server_cpu_ms_per_save_median": cpu_ms,
            "rounds": {name: [asdict(r) for r in results] for name, results in rounds.items()},
            "clients": CLIENTS,
            "seconds_per_round": profile.autosave_seconds,
            "baseline": "bench/baseline_app.py: Starlette + asyncpg running the same SQL, no GraphQL/ORM/rules",
        },
    )


def run(database_url: str, profile: Profile) -> Measurement:
    """Serve both apps in subprocesses and compare their autosave rates."""
    with served("system", database_url) as system_app, served("baseline", database_url) as baseline_app:
        return asyncio.run(_measure(system_app, baseline_app, database_url, profile))
