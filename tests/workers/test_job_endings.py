"""Every job ends: outcomes are storable or end the job failed, attempts are capped for re-sends
too, and a cancel reaches a job that never reports progress."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from datetime import timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import update

from db.models import Job
from tests.support.job_rows import job_row, new_actor, only_job, package_with_model
from trainpack.database import unit_of_work
from workers.datasets import _profile as profile_body
from workers.runner import JobContext, Outcome, run_job
from workflow import drafts, jobs, packages, uploads
from workflow.access import Actor
from workflow.events import utcnow
from workflow.job_inputs import JobKind
from workflow.targets import PackageRef

pytestmark = pytest.mark.usefixtures("worker_env")

LEASE = timedelta(seconds=30)


async def _profile_job(database_url: str, actor: Actor, filename: str, content: bytes) -> uuid.UUID:
    """A package whose one dataset source is an upload of ``content``; its profile job's id."""
    async with unit_of_work(database_url) as uow:
        upload = await uploads.store(uow, actor, filename, content, declared_format=None, max_bytes=10**7)
        package, version = await packages.create(uow, actor)
    source = {"source": "UPLOAD", "uploadId": str(upload.id), "format": "INSTRUCTION"}
    async with unit_of_work(database_url) as uow:
        await drafts.save(
            uow, actor, PackageRef(package.id), {"dataset": {"sources": [source]}}, expected_revision=version.revision
        )
    return (await only_job(database_url, package.id)).id


def _parquet(columns: dict[str, list[str]]) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("data.jsonl", (json.dumps({"prompt\u0000x": "a", "\ud800lone": "b"}) + "\n").encode()),
        ("data.csv", b"prompt\x00x,completion\nhello,world\n"),
        ("data.parquet", _parquet({"prompt\u0000x": ["a"], "completion": ["b"]})),
    ],
)
async def test_a_profile_of_column_names_postgres_cannot_store_succeeds_with_clean_names(
    database_url: str, filename: str, content: bytes
) -> None:
    actor = await new_actor(database_url)
    job_id = await _profile_job(database_url, actor, filename, content)
    await asyncio.wait_for(run_job(str(job_id), JobKind.PROFILE_DATASET, profile_body), 30)
    job = await job_row(database_url, job_id)
    assert job.status == "SUCCEEDED", (job.error_code, job.error_message)
    assert job.result is not None
    names = [column["name"] for column in job.result["columns"]]
    assert "prompt\ufffdx" in names
    assert all("\x00" not in name for name in names)


async def test_an_outcome_the_database_refuses_still_ends_the_job_failed_with_a_code(database_url: str) -> None:
    actor = await new_actor(database_url)
    package_id, job_id = await package_with_model(database_url, actor)

    async def unstorable(_: JobContext) -> Outcome:
        facts = {"resolvedSha": "ab\u0000cd", "moduleNames": []}
        return Outcome(result=facts, facts={"facts": facts})

    await asyncio.wait_for(run_job(str(job_id), JobKind.RESOLVE_MODEL, unstorable), 30)
    job = await job_row(database_url, job_id)
    assert (job.status, job.error_code) == ("FAILED", "JOB_OUTCOME_UNSTORABLE")
    async with unit_of_work(database_url) as uow:  # the step shows it rather than staying pending
        locked = await uow.packages.lock_with_draft(actor.organisation_id, package_id)
    assert locked is not None and locked.draft is not None
    codes = [issue["code"] for issue in locked.draft.step_states["model"]["errors"]]
    assert codes == ["MODEL_RESOLUTION_FAILED"]


async def test_a_job_whose_workers_keep_dying_fails_once_its_attempts_are_spent(database_url: str) -> None:
    actor = await new_actor(database_url)
    _, job_id = await package_with_model(database_url, actor)
    ran = 0

    async def body(_: JobContext) -> Outcome:
        nonlocal ran
        ran += 1
        return Outcome(result={})

    for _ in range(3):  # TRAINPACK_JOB_MAX_ATTEMPTS is 3 here: three workers die mid-job
        async with unit_of_work(database_url) as uow:
            assert await jobs.claim(uow, job_id, LEASE) is not None
            await uow.session.execute(
                update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow() - timedelta(minutes=5))
            )
    await run_job(str(job_id), JobKind.RESOLVE_MODEL, body)  # the sweeper's re-send
    job = await job_row(database_url, job_id)
    assert (job.status, job.error_code, ran) == ("FAILED", "JOB_ATTEMPTS_EXHAUSTED", 0)
    await run_job(str(job_id), JobKind.RESOLVE_MODEL, body)  # and any later one does nothing
    assert (await job_row(database_url, job_id)).attempts == job.attempts


async def test_a_cancel_reaches_a_job_that_never_reports_progress(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINPACK_JOB_HEARTBEAT_SECONDS", "0.2")
    actor = await new_actor(database_url)
    _, job_id = await package_with_model(database_url, actor)
    started = asyncio.Event()

    async def silent(_: JobContext) -> Outcome:
        started.set()
        await asyncio.sleep(60)
        return Outcome(result={})

    running = asyncio.create_task(run_job(str(job_id), JobKind.RESOLVE_MODEL, silent))
    await started.wait()
    async with unit_of_work(database_url) as uow:
        await jobs.cancel(uow, actor, job_id)
    await asyncio.wait_for(running, 5)  # the next heartbeat carries the cancel
    assert (await job_row(database_url, job_id)).status == "CANCELLED"


async def test_a_cancelled_job_whose_worker_died_ends_at_its_next_delivery_without_running(database_url: str) -> None:
    actor = await new_actor(database_url)
    _, job_id = await package_with_model(database_url, actor)
    async with unit_of_work(database_url) as uow:
        assert await jobs.claim(uow, job_id, LEASE) is not None
    async with unit_of_work(database_url) as uow:
        await jobs.cancel(uow, actor, job_id)  # running: only asked to stop
        await uow.session.execute(
            update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow() - timedelta(minutes=5))
        )
    ran = False

    async def body(_: JobContext) -> Outcome:
        nonlocal ran
        ran = True
        return Outcome(result={})

    await run_job(str(job_id), JobKind.RESOLVE_MODEL, body)
    assert ((await job_row(database_url, job_id)).status, ran) == ("CANCELLED", False)
