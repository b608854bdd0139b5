"""Shared plumbing of the benchmarks: a throwaway database, served apps, tokens and statistics."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from tests.support.databases import create_database, drop_database
from tests.support.servers import free_port
from trainpack import migrations
from trainpack.database import unit_of_work
from workflow import tokens
from workflow.access import Actor, Scope

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class BenchError(RuntimeError):
    """A benchmark could not measure what it meant to (a wrong answer, a server that did not start)."""


@dataclass
class Measurement:
    """One row of the final table: the figures in words, the ratio that is judged, and the verdict."""

    name: str
    summary: str
    ratio: float
    target: str
    passed: bool
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """PASS or MISS against the target."""
        return "PASS" if self.passed else "MISS"


@dataclass(frozen=True)
class Profile:
    """How long each benchmark runs: the full run or ``--quick``."""

    quick: bool

    @property
    def rounds(self) -> int:
        """Alternating baseline/system rounds of the throughput benchmark (the median is kept)."""
        return 3 if self.quick else 5

    @property
    def small_effect_rounds(self) -> int:
        """Rounds of a comparison whose two sides differ by a few per cent (event emission):
        round-to-round noise on a busy two-core machine is larger than that, so the median
        needs more rounds than a comparison of two different apps."""
        return 5 if self.quick else 11

    @property
    def autosave_seconds(self) -> float:
        """Length of one timed autosave round of one side."""
        return 2.0 if self.quick else 6.0

    @property
    def warmup_seconds(self) -> float:
        """Untimed load before the first round of each side."""
        return 1.0 if self.quick else 2.0

    @property
    def latency_repetitions(self) -> int:
        """Timed requests per case of the read benchmarks (split over the rounds)."""
        return 15 if self.quick else 60


def median(values: Sequence[float]) -> float:
    """The median, refusing an empty sample."""
    if not values:
        raise BenchError("no samples")
    return float(statistics.median(values))


def plain_url(database_url: str) -> str:
    """The URL in the form asyncpg accepts (no SQLAlchemy driver suffix)."""
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


@contextmanager
def server_url() -> Iterator[str]:
    """A PostgreSQL server to create the benchmark database on: ``DATABASE_URL``, else an embedded one."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield configured
        return
    from trainpack.embedded import embedded_database

    with (
        tempfile.TemporaryDirectory(prefix="trainpack-bench-pg-") as folder,
        embedded_database(Path(folder) / "pg", database="postgres") as url,
    ):
        yield url


@contextmanager
def bench_database() -> Iterator[str]:
    """A fresh ``trainpack_bench_<random>`` database migrated to head, dropped afterwards."""
    with server_url() as server:
        url = create_database(server, f"trainpack_bench_{uuid.uuid4().hex[:10]}")
        try:
            migrations.upgrade(url)
            yield url
        finally:
            drop_database(server, url)


async def issue_actor(database_url: str, organisation: str) -> tuple[str, Actor]:
    """A token secret of a new organisation, and the actor it authenticates as."""
    scopes = [Scope.READ, Scope.WRITE, Scope.PUBLISH]
    async with unit_of_work(database_url) as uow:
        issued = await tokens.issue(uow, f"{organisation}-{uuid.uuid4().hex[:8]}", "bench", scopes)
    actor = Actor(
        issued.organisation.id, issued.organisation.name, issued.token.id, issued.token.name, frozenset(scopes)
    )
    return issued.secret, actor


@dataclass(frozen=True)
class ServedApp:
    """An app served in a subprocess: where it listens, and its process for CPU accounting."""

    base_url: str
    pid: int

    def cpu_seconds(self) -> float | None:
        """User plus system CPU time the server process has used so far (None off Linux)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def served(app: str, database_url: str) -> Iterator[ServedApp]:
    """``python -m bench.serve_app <app>`` in its own process, until the block exits."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.serve_app", app, "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=log,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base_url, process, log)
            yield ServedApp(base_url, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log: IO[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    log.seek(0)
    raise BenchError(f"{base_url} did not start:\n{log.read().decode(errors='replace')[-4000:]}")


def graphql_data(response: httpx.Response) -> dict[str, Any]:
    """The ``data`` of a GraphQL response, refusing HTTP errors and top-level errors."""
    if response.status_code != 200:
        raise BenchError(f"HTTP {response.status_code}: {response.text[:500]}")
    body: dict[str, Any] = response.json()
    if body.get("errors") or body.get("data") is None:
        raise BenchError(f"GraphQL errors: {body.get('errors')}")
    data: dict[str, Any] = body["data"]
    return data


def bearer(secret: str) -> dict[str, str]:
    """The Authorization header of a token."""
    return {"Authorization": f"Bearer {secret}"}
