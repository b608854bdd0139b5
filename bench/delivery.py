"""Issue 3 (a): live-event fan-out to many websocket subscribers, against a plain broadcast.

``SUBSCRIBERS`` websocket clients (a Node.js process: the ``ws`` library, so the clients are
not the bottleneck) subscribe to ``organisationEvents`` on one API process while writers
autosave ``EVENTS_PER_SECOND`` times a second; each save is one ``DraftSavedEvent`` to every
subscriber. The writers save through a second API process, another replica, as in a real
deployment: the event reaches the measured process through the log and its wake-up channel,
and the measured process does the delivering only, as the baseline does. The baseline is a
plain Starlette websocket endpoint broadcasting ready-made frames of the same shape at the
same rate. Both are measured over the same window; the ratio is deliveries/s of the system
over the baseline (target ≥ 0.5), and the latency is from an event's save (``savedAt``,
stamped just before commit) to its receipt (p99 ≤ 100 ms). ``worstBySecond`` in the details
shows the worst latency of each second from the start of the writes, so a backlog that grows
(deliveries slower than commits) is told apart from a few late frames.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.autosave import Draft, _create_drafts, _save_system
from bench.support import BenchError, Measurement, Profile, ServedApp, bearer, issue_actor, served

EVENTS_PER_SECOND = 50
TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0
FANOUT = Path(__file__).resolve().parent / "node" / "fanout.mjs"
NODE_PACKAGES = Path(__file__).resolve().parent.parent / "tests" / "node"  # fanout.mjs uses their `ws`


def _node_clients() -> str:
    """Node.js, with the websocket client library installed from the lock file if it is missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise BenchError("Node.js and npm are needed for the subscriber side of this benchmark")
    if not (NODE_PACKAGES / "node_modules" / "ws").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_PACKAGES, check=True, capture_output=True)
    return node


async def _fanout(
    url: str, mode: str, token: str, subscribers: int, warmup: float, seconds: float
) -> tuple[asyncio.subprocess.Process, dict[str, Any]]:
    node = _node_clients()
    process = await asyncio.create_subprocess_exec(
        node,
        str(FANOUT),
        url,
        mode,
        token,
        str(subscribers),
        str(warmup),
        str(seconds),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    ready: dict[str, Any] = json.loads(await asyncio.wait_for(process.stdout.readline(), 120))
    return process, ready


async def _result(process: asyncio.subprocess.Process) -> dict[str, Any]:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 300)
    await process.wait()
    result: dict[str, Any] = json.loads(line)
    return result


async def _paced(action: Any, rate: float, seconds: float) -> int:
    """Call ``action`` ``rate`` times a second for ``seconds``; how many calls were made."""
    done, began = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - began) < seconds:
        await action(done)
        done += 1
        ahead = done / rate - elapsed
        if ahead > 0:
            await asyncio.sleep(ahead)
    return done


async def _cpu_in_window(app: ServedApp, warmup: float, seconds: float) -> float | None:
    """CPU seconds the served process spends during the clients' measuring window."""
    await asyncio.sleep(warmup)
    before = app.cpu_seconds()
    await asyncio.sleep(seconds)
    after = app.cpu_seconds()
    return None if before is None or after is None else after - before


async def _until_subscribed(app: ServedApp, subscribers: int) -> None:
    """Wait until the server holds every subscription, so the writes meet the steady state.

    The clients count a connection as ready at its ``connection_ack``; its subscription starts
    just after. Writing before they have all started would charge their setup to delivery
    (the broadcast has no such setup) and leave a backlog the measured window inherits.
    """
    try:
        async with asyncio.timeout(60), httpx.AsyncClient(base_url=app.base_url, timeout=10) as client:
            while True:  # polled: the count lives in another process
                if (await client.get("/healthz")).json()["liveSubscriptions"] >= subscribers:
                    return
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise BenchError(f"the server did not hold {subscribers} subscriptions within 60 s") from None


async def _summary(
    process: asyncio.subprocess.Process, ready: dict[str, Any], cpu: asyncio.Task[float | None], sent: int
) -> dict[str, Any]:
    """The clients' figures, with how many events were sent and the server's CPU per delivered frame."""
    result = await _result(process)
    seconds = await cpu
    per_frame = None if seconds is None or not result["deliveries"] else round(seconds / result["deliveries"] * 1e6, 1)
    return {**result, "ready": ready["ready"], "saves": sent, "cpuMicrosPerDelivery": per_frame}


async def _system(
    app: ServedApp,
    writer_app: ServedApp,
    database_url: str,
    subscribers: int,
    warmup: float,
    seconds: float,
    rate: float = EVENTS_PER_SECOND,
) -> dict[str, Any]:
    secret, _ = await issue_actor(database_url, "bench-delivery")
    drafts: list[Draft] = await _create_drafts(writer_app.base_url, secret, 2)
    url = app.base_url.replace("http://", "ws://") + "/graphql"
    process, ready = await _fanout(url, "graphql", secret, subscribers, warmup, seconds)
    cpu = asyncio.create_task(_cpu_in_window(app, warmup, seconds))
    await _until_subscribed(app, subscribers)
    async with httpx.AsyncClient(base_url=writer_app.base_url, headers=bearer(secret), timeout=60) as client:

        async def writer(draft: Draft) -> int:
            async def save(_: int) -> None:
                draft.revision = await _save_system(client, draft)

            return await _paced(save, rate / len(drafts), warmup + seconds + 1)

        saves = sum(await asyncio.gather(*(writer(draft) for draft in drafts)))
    return await _summary(process, ready, cpu, saves)


async def _baseline(app: ServedApp, subscribers: int, warmup: float, seconds: float) -> dict[str, Any]:
    url = app.base_url.replace("http://", "ws://") + "/ws"
    process, ready = await _fanout(url, "plain", "-", subscribers, warmup, seconds)
    cpu = asyncio.create_task(_cpu_in_window(app, warmup, seconds))
    async with httpx.AsyncClient(base_url=app.base_url, timeout=60) as client:

        async def broadcast(number: int) -> None:
            stamp = datetime.now(UTC).isoformat()
            event = {"__typename": "DraftSavedEvent", "revision": number, "sentAt": stamp}
            message = {"id": "1", "type": "next", "payload": {"data": {"organisationEvents": event}}}
            frame = json.dumps(message, separators=(",", ":"))
            await client.post("/broadcast", content=frame)

        sent = await _paced(broadcast, EVENTS_PER_SECOND, warmup + seconds + 1)
    return await _summary(process, ready, cpu, sent)


def run(database_url: str, profile: Profile) -> Measurement:
    """Fan events out to many subscribers from the real app and from a plain broadcast."""
    subscribers = 200 if profile.quick else 1000
    warmup, seconds = (2.0, 5.0) if profile.quick else (3.0, 10.0)
    with served("broadcast", database_url) as baseline_app:
        baseline = asyncio.run(_baseline(baseline_app, subscribers, warmup, seconds))
    with served("system", database_url) as system_app, served("system", database_url) as writer_app:
        system = asyncio.run(_system(system_app, writer_app, database_url, subscribers, warmup, seconds))
    with served("system", database_url) as system_app, served("system", database_url) as writer_app:
        # Unjudged: the same at half the rate, to show the latency when the server has headroom.
        half = asyncio.run(
            _system(system_app, writer_app, database_url, subscribers, warmup, seconds, EVENTS_PER_SECOND / 2)
        )
    ratio = system["perSecond"] / baseline["perSecond"] if baseline["perSecond"] else 0.0
    p99 = system["p99"]
    passed = ratio >= TARGET_RATIO and p99 is not None and p99 <= TARGET_P99_MS
    return Measurement(
        name="(d) live delivery",
        summary=(
            f"{subscribers} subscribers, {EVENTS_PER_SECOND} events/s: system {system['perSecond']:.0f} "
            f"deliveries/s (p50 {system['p50']} ms, p99 {p99} ms), baseline {baseline['perSecond']:.0f}/s "
            f"(p99 {baseline['p99']} ms); server CPU per delivery {system['cpuMicrosPerDelivery']} vs "
            f"{baseline['cpuMicrosPerDelivery']} us; at {EVENTS_PER_SECOND / 2:.0f} events/s: "
            f"{half['perSecond']:.0f}/s, p99 {half['p99']} ms"
        ),
        ratio=ratio,
        target=f"system/baseline >= {TARGET_RATIO} and p99 <= {TARGET_P99_MS:.0f} ms",
        passed=passed,
        details={
            "system": system,
            "baseline": baseline,
            "systemAtHalfRate": half,
            "subscribers": subscribers,
            "run": str(uuid.uuid4()),
        },
    )
