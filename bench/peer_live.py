"""Issue 20 (2): live delivery against a real peer, the reference graphql-ws server.

The peer (``bench/node/live_peer.mjs``: graphql-ws and ws from ``tests/node``'s lock file,
an in-memory pub/sub) serves the same ``organisationEvents`` subscription shape; events are
published to it over HTTP at the rate trainpack's writers autosave. trainpack is measured as
in (d): subscribers on one API process, saves through a second one, events through the log.
The same Node.js subscriber process measures both. Ratio = trainpack / peer deliveries/s,
target ≥ 1.0 with trainpack's p99 ≤ 100 ms.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.delivery import EVENTS_PER_SECOND, TARGET_P99_MS, _cpu_in_window, _fanout, _paced, _summary, _system
from bench.delivery import _node_clients as node_with_packages
from bench.support import PROJECT_ROOT, BenchError, Measurement, Profile, ServedApp, served
from tests.support.servers import free_port

PEER_SERVER = PROJECT_ROOT / "bench" / "node" / "live_peer.mjs"
TARGET_RATIO = 1.0


@contextmanager
def _peer() -> Iterator[ServedApp]:
    node = node_with_packages()
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([node, str(PEER_SERVER), str(port)], stdout=log, stderr=log)
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise BenchError(f"the graphql-ws peer did not start: {log.read().decode(errors='replace')}")
                time.sleep(0.1)
            yield ServedApp(base_url, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=15)


async def _measure_peer(app: ServedApp, subscribers: int, warmup: float, seconds: float) -> dict[str, Any]:
    url = app.base_url.replace("http://", "ws://") + "/graphql"
    process, ready = await _fanout(url, "graphql", "peer-token", subscribers, warmup, seconds)
    cpu = asyncio.create_task(_cpu_in_window(app, warmup, seconds))
    async with httpx.AsyncClient(base_url=app.base_url, timeout=60) as client:
        async with asyncio.timeout(60):
            while True:  # polled: the count lives in another process
                if (await client.get("/healthz")).json()["liveSubscriptions"] >= subscribers:
                    break
                await asyncio.sleep(0.1)

        async def publish(number: int) -> None:
            await client.post("/publish", json={"revision": number, "savedAt": datetime.now(UTC).isoformat()})

        sent = await _paced(publish, EVENTS_PER_SECOND, warmup + seconds + 1)
    return await _summary(process, ready, cpu, sent)


def run(database_url: str, profile: Profile) -> Measurement:
    """Deliver the same subscription from the graphql-ws peer and from trainpack."""
    if shutil.which("node") is None:
        raise BenchError("Node.js is needed for the graphql-ws peer")
    subscribers = 200 if profile.quick else 1000
    warmup, seconds = (2.0, 5.0) if profile.quick else (3.0, 10.0)
    with _peer() as peer_app:
        peer = asyncio.run(_measure_peer(peer_app, subscribers, warmup, seconds))
    with served("system", database_url) as system_app, served("system", database_url) as writer_app:
        system = asyncio.run(_system(system_app, writer_app, database_url, subscribers, warmup, seconds))
    ratio = system["perSecond"] / peer["perSecond"] if peer["perSecond"] else 0.0
    p99 = system["p99"]
    return Measurement(
        name="(j) live delivery vs graphql-ws",
        summary=(
            f"{subscribers} subscribers, {EVENTS_PER_SECOND} events/s: trainpack {system['perSecond']:.0f}/s "
            f"p99 {p99} ms ({system['cpuMicrosPerDelivery']} us CPU/delivery); graphql-ws peer "
            f"{peer['perSecond']:.0f}/s p99 {peer['p99']} ms ({peer['cpuMicrosPerDelivery']} us)"
        ),
        ratio=ratio,
        target=f"trainpack/peer >= {TARGET_RATIO} and p99 <= {TARGET_P99_MS:.0f} ms",
        passed=ratio >= TARGET_RATIO and p99 is not None and p99 <= TARGET_P99_MS,
        details={"trainpack": system, "peer": peer, "subscribers": subscribers},
    )
