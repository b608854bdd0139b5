"""Issue 20 (1): autosave against a real peer, PostGraphile v4, on the same PostgreSQL.

PostGraphile (installed from npm with the lock file in ``bench/peer/``) serves a ``peer.drafts``
table whose revision a trigger bumps on every update: the same row work as an autosave, none
of the rest (no token, no revision check, no validation, no events, no idempotency).
trainpack serves ``saveDraft`` with tracked revisions: each connection autosaves its own
package and sends the revision its last answer returned. Both are driven by wrk in its own
process, 16 connections (one per wrk thread, so each keeps its own revision), in alternating
rounds. Reported per side: requests/s, p50/p99 latency, the server's CPU per request; ratio
= trainpack / PostGraphile autosaves/s (medians), target ≥ 1.5 with p99 no worse and
≤ 1.5 ms of server CPU per save.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import asyncpg
import httpx

from bench import documents
from bench.support import (
    PROJECT_ROOT,
    BenchError,
    Measurement,
    Profile,
    ServedApp,
    bearer,
    graphql_data,
    issue_actor,
    median,
    plain_url,
    served,
)
from tests.support.content import CONFIG
from tests.support.servers import free_port

PEER_FOLDER = PROJECT_ROOT / "bench" / "peer"
CONNECTIONS = 16
TARGET = 1.5
CPU_TARGET_MS = 1.5

PEER_SCHEMA = """
CREATE SCHEMA IF NOT EXISTS peer;
CREATE TABLE IF NOT EXISTS peer.drafts (
  id uuid PRIMARY KEY,
  revision integer NOT NULL DEFAULT 1,
  data jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE OR REPLACE FUNCTION peer.bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.revision := OLD.revision + 1;
  NEW.updated_at := now();
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS bump_revision ON peer.drafts;
CREATE TRIGGER bump_revision BEFORE UPDATE ON peer.drafts FOR EACH ROW EXECUTE FUNCTION peer.bump_revision();
"""

# wrk runs one Lua state per thread; with one connection per thread, the state is the connection's.
LUA_COMMON = """
local index_of = 0
local threads = {}
function setup(thread)
  index_of = index_of + 1
  thread:set("index", index_of)
  table.insert(threads, thread)
end
function init(args)
  target = targets[index]
  epochs = 3
  failures = 0
  sample = ""
end
function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + thread:get("failures") end
  io.write(string.format("FAILED %d\\n", failed))
  io.write(string.format("P50US %d\\nP99US %d\\n", latency:percentile(50), latency:percentile(99)))
  for _, thread in ipairs(threads) do
    local s = thread:get("sample")
    if s ~= "" then io.write("SAMPLE " .. s .. "\\n") break end
  end
end
"""

LUA_TRAINPACK = """
function request()
  epochs = 7 - epochs
  local body = string.format(template, target.id, target.revision, epochs)
  return wrk.format("POST", "/graphql", headers, body)
end
function response(status, headers, body)
  local revision = body:match('"revision":(%d+)')
  if status == 200 and body:find('"DraftUpdated"', 1, true) and revision then
    target.revision = tonumber(revision)
  else
    failures = failures + 1
    if sample == "" then sample = body:sub(1, 300) end
    local current = body:match('"currentRevision":(%d+)')
    if current then target.revision = tonumber(current) end
  end
end
"""

LUA_PEER = """
function request()
  epochs = 7 - epochs
  return wrk.format("POST", "/graphql", headers, string.format(template, target.id, epochs))
end
function response(status, headers, body)
  if status ~= 200 or not body:find('"revision"', 1, true) or body:find('"errors"', 1, true) then
    failures = failures + 1
    if sample == "" then sample = body:sub(1, 300) end
  end
end
"""

PEER_MUTATION = (
    "mutation ($id: UUID!, $data: JSON!) { updateDraftById(input: {id: $id, draftPatch: {data: $data}}) "
    "{ draft { revision updatedAt } } }"
)


@dataclass(frozen=True)
class Round:
    """One timed wrk round of one side."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    failed: int
    cpu_ms_per_request: float | None


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for this content


def _trainpack_script(secret: str, drafts: list[tuple[str, int]]) -> str:
    config = {key: value for key, value in CONFIG.items() if key != "epochs"}
    body = json.dumps(
        {
            "query": documents.AUTOSAVE,
            "variables": {
                "input": {
                    "id": "@ID@",
                    "expectedRevision": 0,
                    "trigger": "AUTOSAVE",
                    "steps": {"config": {**config, "epochs": 0}},
                }
            },
        }
    )
    template = (
        body.replace('"@ID@"', '"%s"')
        .replace('"expectedRevision": 0', '"expectedRevision": %d')
        .replace('"epochs": 0', '"epochs": %d')
    )
    targets = ", ".join(f'{{id = "{package_id}", revision = {revision}}}' for package_id, revision in drafts)
    headers = f'headers = {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {secret}"}}'
    return "\n".join(
        [f"targets = {{{targets}}}", headers, f"template = {_lua_string(template)}", LUA_COMMON, LUA_TRAINPACK]
    )


def _peer_script(ids: list[str]) -> str:
    body = json.dumps({"query": PEER_MUTATION, "variables": {"id": "@ID@", "data": {"config": {"epochs": 0}}}})
    template = body.replace('"@ID@"', '"%s"').replace('"epochs": 0', '"epochs": %d')
    targets = ", ".join(f'{{id = "{each}"}}' for each in ids)
    headers = 'headers = {["Content-Type"] = "application/json"}'
    return "\n".join([f"targets = {{{targets}}}", headers, f"template = {_lua_string(template)}", LUA_COMMON, LUA_PEER])


def _wrk(url: str, script: Path, seconds: float, app: ServedApp) -> Round:
    before = app.cpu_seconds()
    threads = f"-t{CONNECTIONS}"
    command = ["wrk", threads, f"-c{CONNECTIONS}", f"-d{seconds:.0f}s", "--latency", "-s", str(script), url]
    finished = subprocess.run(command, capture_output=True, text=True, check=False, timeout=seconds + 60)
    after = app.cpu_seconds()
    output = finished.stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if finished.returncode != 0 or rate is None or total is None:
        raise BenchError(f"wrk failed: {finished.stderr[-2000:]}{output[-2000:]}")
    failed = int(re.search(r"FAILED (\d+)", output).group(1))  # type: ignore[union-attr]
    if failed:
        sample = re.search(r"SAMPLE (.*)", output)
        print(f"    {failed} failed, e.g. {sample.group(1) if sample else '?'}", flush=True)
    p50 = int(re.search(r"P50US (\d+)", output).group(1)) / 1000  # type: ignore[union-attr]
    p99 = int(re.search(r"P99US (\d+)", output).group(1)) / 1000  # type: ignore[union-attr]
    cpu = None if before is None or after is None else (after - before) * 1000 / max(1, int(total.group(1)))
    return Round(float(rate.group(1)), p50, p99, failed, cpu)


def _npm_ci() -> None:
    """Install the peer from its lock file when it is not installed yet."""
    if (PEER_FOLDER / "node_modules" / ".bin" / "postgraphile").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise BenchError("npm is needed for the PostGraphile peer")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PEER_FOLDER, check=True, capture_output=True)


@contextmanager
def _postgraphile(database_url: str) -> Iterator[tuple[ServedApp, list[str]]]:
    """PostGraphile v4 serving the ``peer`` schema, in its own process, and the drafts' ids.

    The table is created first, so that PostGraphile's introspection at start sees it.
    """
    _npm_ci()
    ids = asyncio.run(_prepare_peer(database_url))
    port = free_port()
    command = [
        str(PEER_FOLDER / "node_modules" / ".bin" / "postgraphile"),
        "--connection",
        plain_url(database_url),
        "--schema",
        "peer",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--disable-query-log",
        "--dynamic-json",
        "--max-pool-size",
        "10",
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=PEER_FOLDER, stdout=log, stderr=log, env={**os.environ})
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    reply = httpx.post(f"{base_url}/graphql", json={"query": "{ __typename }"}, timeout=2)
                    if reply.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise BenchError(f"PostGraphile did not start:\n{log.read().decode(errors='replace')[-3000:]}")
                time.sleep(0.2)
            yield ServedApp(base_url, process.pid), ids
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _prepare_peer(database_url: str) -> list[str]:
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        await connection.execute(PEER_SCHEMA)
        rows = await connection.fetch(
            "INSERT INTO peer.drafts (id) SELECT gen_random_uuid() FROM generate_series(1, $1) RETURNING id",
            CONNECTIONS,
        )
        return [str(row["id"]) for row in rows]
    finally:
        await connection.close()


async def _prepare_trainpack(app: ServedApp, database_url: str) -> tuple[str, list[tuple[str, int]]]:
    secret, _ = await issue_actor(database_url, "bench-peer")
    drafts = []
    async with httpx.AsyncClient(base_url=app.base_url, headers=bearer(secret), timeout=60) as client:
        for _ in range(CONNECTIONS):
            steps = {"config": {**CONFIG, "epochs": 3}}
            reply = await client.post(
                "/graphql", json={"query": documents.CREATE, "variables": {"input": {"steps": steps}}}
            )
            created = graphql_data(reply)["createPackage"]
            drafts.append((created["package"]["id"], created["draft"]["revision"]))
    return secret, drafts


async def _current_revisions(app: ServedApp, secret: str, package_ids: list[str]) -> list[tuple[str, int]]:
    query = "query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Package { id currentRevision } } }"
    async with httpx.AsyncClient(base_url=app.base_url, headers=bearer(secret), timeout=60) as client:
        reply = await client.post("/graphql", json={"query": query, "variables": {"ids": package_ids}})
    return [(node["id"], node["currentRevision"]) for node in graphql_data(reply)["nodes"]]


def run(database_url: str, profile: Profile) -> Measurement:
    """Serve both, load each with wrk in alternating rounds, compare the medians."""
    if shutil.which("wrk") is None:
        raise BenchError("wrk is needed (Debian's package `wrk`)")
    seconds = 4.0 if profile.quick else 10.0
    with (
        tempfile.TemporaryDirectory(prefix="trainpack-bench-peer-") as folder,
        served("system", database_url) as system,
        _postgraphile(database_url) as (peer, ids),
    ):
        secret, drafts = asyncio.run(_prepare_trainpack(system, database_url))
        scripts = {"trainpack": Path(folder) / "trainpack.lua", "PostGraphile": Path(folder) / "peer.lua"}
        scripts["PostGraphile"].write_text(_peer_script(ids))
        sides = {"trainpack": system, "PostGraphile": peer}
        scripts["trainpack"].write_text(_trainpack_script(secret, drafts))
        for name, app in sides.items():  # warm-up, untimed
            _wrk(f"{app.base_url}/graphql", scripts[name], profile.warmup_seconds, app)
        rounds: dict[str, list[Round]] = {name: [] for name in sides}
        for number in range(profile.rounds):
            order = list(sides) if number % 2 == 0 else list(reversed(sides))
            for name in order:
                if name == "trainpack":  # each round starts from the revisions the last one left
                    revisions = asyncio.run(_current_revisions(system, secret, [each for each, _ in drafts]))
                    scripts[name].write_text(_trainpack_script(secret, revisions))
                result = _wrk(f"{sides[name].base_url}/graphql", scripts[name], seconds, sides[name])
                rounds[name].append(result)
                print(
                    f"  round {number + 1} {name:12} {result.requests_per_second:7.1f} req/s "
                    f"p50 {result.p50_ms:.1f} ms p99 {result.p99_ms:.1f} ms "
                    f"cpu {result.cpu_ms_per_request or 0:.2f} ms/req",
                    flush=True,
                )
    return _measurement(rounds)


def _measurement(rounds: dict[str, list[Round]]) -> Measurement:
    def middle(name: str, attribute: str) -> float:
        values = [getattr(each, attribute) for each in rounds[name] if getattr(each, attribute) is not None]
        return median(values) if values else float("nan")

    ours, theirs = "trainpack", "PostGraphile"
    rate = {name: middle(name, "requests_per_second") for name in rounds}
    p99 = {name: middle(name, "p99_ms") for name in rounds}
    cpu = {name: middle(name, "cpu_ms_per_request") for name in rounds}
    failed = {name: sum(each.failed for each in rounds[name]) for name in rounds}
    ratio = rate[ours] / rate[theirs]
    passed = ratio >= TARGET and p99[ours] <= p99[theirs] and cpu[ours] <= CPU_TARGET_MS and not any(failed.values())
    summary = (
        f"trainpack {rate[ours]:.0f}/s p99 {p99[ours]:.1f} ms {cpu[ours]:.2f} ms CPU/save; "
        f"PostGraphile {rate[theirs]:.0f}/s p99 {p99[theirs]:.1f} ms {cpu[theirs]:.2f} ms CPU/req"
    )
    return Measurement(
        name="(i) autosave vs PostGraphile",
        summary=summary,
        ratio=ratio,
        target=f"trainpack/PostGraphile >= {TARGET}, p99 no worse, <= {CPU_TARGET_MS} ms CPU/save",
        passed=passed,
        details={
            "connections": CONNECTIONS,
            "requests_per_second_median": rate,
            "p99_ms_median": p99,
            "cpu_ms_per_request_median": cpu,
            "failed": failed,
            "rounds": {name: [asdict(each) for each in results] for name, results in rounds.items()},
            "peer": "postgraphile 4.9.2 (bench/peer/package-lock.json)",
        },
    )
