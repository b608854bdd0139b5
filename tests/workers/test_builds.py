"""The build actor and the pipeline's service against a real PostgreSQL: what a build is made of,
how it fails, and how retries are serialised.

The real ``package.build`` body runs here (``run_job``), reading the published version and its
facts; the resolution and profiling jobs it depends on are stood in by small bodies.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text

from db.models import Event, Job
from tests.support.content import VALID_STEPS
from tests.support.job_rows import new_actor
from trainpack.database import unit_of_work
from workers import bundles
from workers.integrations.errors import IntegrationError
from workers.runner import JobContext, Outcome, run_job
from workflow import builds, drafts, jobs, packages, pipeline_events
from workflow.access import Actor
from workflow.core.bundle import verify
from workflow.errors import OperationRefusedError
from workflow.fact_store import dataset_facts_to_json, model_facts_to_json
from workflow.facts import DatasetFacts, ModelFacts
from workflow.job_inputs import JobKind
from workflow.steps import STEP_ORDER
from workflow.targets import PackageRef

pytestmark = pytest.mark.usefixtures("worker_env")

MODEL = ModelFacts(
    "4e20de3f00c0ffee4e20de3f00c0ffee4e20de3f",
    context_length=4096,
    module_names=frozenset({"q_proj", "k_proj", "v_proj", "o_proj"}),
    parameter_count=1_240_000_000,
    licence="llama3.2",
    architecture="LlamaForCausalLM",
)
DATASET = DatasetFacts(columns=frozenset({"instruction", "output", "input"}), rows=52_002)
DATASET_SHA = "0b9d3ed4d0ab7f0c8b5e5e6cf2bd1c6f2a1f2c3d"


@pytest.fixture(autouse=True)
def bundle_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bundles"
    monkeypatch.setenv("TRAINPACK_BUNDLE_DIR", str(folder))
    return folder


async def _resolved(_: JobContext) -> Outcome:
    data = model_facts_to_json(MODEL)
    return Outcome(result=data, facts={"facts": data})


async def _profiled(_: JobContext) -> Outcome:
    return Outcome(result={}, facts={"facts": dataset_facts_to_json(DATASET), "revision": DATASET_SHA})


async def _published(database_url: str, actor: Actor) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """A package whose inputs were resolved and profiled, published: package, version and build job ids."""
    async with unit_of_work(database_url) as uow:
        package, version = await packages.create(uow, actor, steps=VALID_STEPS)
    for kind, body in ((JobKind.RESOLVE_MODEL, _resolved), (JobKind.PROFILE_DATASET, _profiled)):
        job = await _job_of(database_url, package.id, kind)
        await run_job(str(job.id), kind, body)
    revision = version.revision
    for step in STEP_ORDER:
        async with unit_of_work(database_url) as uow:
            done = await drafts.complete_step(uow, actor, PackageRef(package.id), step, expected_revision=revision)
        assert done.version.step_states[step.value]["status"] == "COMPLETE", done.version.step_states
        revision = done.revision
    async with unit_of_work(database_url) as uow:
        published = await drafts.publish(uow, actor, PackageRef(package.id), expected_revision=revision, changelog=None)
    build = await _job_of(database_url, package.id, JobKind.BUILD_PACKAGE)
    assert (build.status, build.version_id) == ("QUEUED", published.version.id)
    return package.id, published.version.id, build.id


async def _job_of(database_url: str, package_id: uuid.UUID, kind: JobKind) -> Job:
    async with unit_of_work(database_url) as uow:
        rows = await uow.session.scalars(
            select(Job).where(Job.package_id == package_id, Job.kind == kind.value).order_by(Job.created_at.desc())
        )
        return next(iter(rows))


async def _stages(database_url: str, package_id: uuid.UUID) -> list[tuple[str, str | None]]:
    async with unit_of_work(database_url) as uow:
        rows = await uow.session.scalars(
            select(Event).where(Event.package_id == package_id, Event.type == "PIPELINE_CHANGED").order_by(Event.id)
        )
        return [(row.payload["stage"], row.payload["errorCode"]) for row in rows]


async def _build(database_url: str, job_id: uuid.UUID) -> Job:
    await run_job(str(job_id), JobKind.BUILD_PACKAGE, bundles._build)
    async with unit_of_work(database_url) as uow:
        job = await uow.jobs.get(job_id)
    assert job is not None
    return job


async def test_a_build_renders_the_version_from_its_facts_and_stores_it_by_sha256(
    database_url: str, bundle_dir: Path
) -> None:
    actor = await new_actor(database_url)
    package_id, _, build_id = await _published(database_url, actor)
    job = await _build(database_url, build_id)
    assert job.status == "SUCCEEDED", (job.error_code, job.error_message)
    assert job.result is not None
    stored = bundle_dir / job.result["sha256"][:2] / f"{job.result['sha256']}.tar.gz"
    archive = stored.read_bytes()
    assert hashlib.sha256(archive).hexdigest() == job.result["sha256"] and len(archive) == job.result["sizeBytes"]
    bundle = verify(archive, expected_sha256=job.result["sha256"])
    assert [f["path"] for f in job.result["files"]] == list(bundle.paths)
    assert MODEL.resolved_sha in bundle["train.yaml"].decode() and DATASET_SHA in bundle["datasets.json"].decode()
    assert await _stages(database_url, package_id) == [("QUEUED", None), ("BUILDING", None), ("READY", None)]


async def test_facts_gone_from_the_package_fail_the_build_with_a_code_and_a_retry_builds_the_same_bytes(
    database_url: str,
) -> None:
    actor = await new_actor(database_url)
    package_id, version_id, build_id = await _published(database_url, actor)
    async with unit_of_work(database_url) as uow:
        kept = (await uow.session.execute(text("SELECT facts FROM packages WHERE id = :id"), {"id": package_id})).one()
        await uow.session.execute(text("UPDATE packages SET facts = '{}'::jsonb WHERE id = :id"), {"id": package_id})
    failed = await _build(database_url, build_id)
    assert (failed.status, failed.error_code) == ("FAILED", "BUNDLE_MODEL_UNRESOLVED")
    assert failed.attempts == 1  # a missing fact is not transient: no retry with backoff
    assert pipeline_events.state_of(failed).stage == "FAILED"

    async with unit_of_work(database_url) as uow:
        await uow.session.execute(
            text("UPDATE packages SET facts = CAST(:facts AS jsonb) WHERE id = :id"),
            {"facts": json.dumps(kept[0]), "id": package_id},
        )
    async with unit_of_work(database_url) as uow:
        _, retried = await builds.retry(uow, actor, version_id)
    assert retried.input == failed.input and retried.id != failed.id
    first = await _build(database_url, retried.id)
    assert first.status == "SUCCEEDED"
    assert await _stages(database_url, package_id) == [
        ("QUEUED", None),
        ("BUILDING", None),
        ("FAILED", "BUNDLE_MODEL_UNRESOLVED"),
        ("QUEUED", None),
        ("BUILDING", None),
        ("READY", None),
    ]
    async with unit_of_work(database_url) as uow:
        with pytest.raises(OperationRefusedError) as refused:
            await builds.retry(uow, actor, version_id)
    assert refused.value.code == "PIPELINE_NOT_FAILED"


async def test_two_retries_at_once_start_one_build(database_url: str) -> None:
    actor = await new_actor(database_url)
    package_id, version_id, build_id = await _published(database_url, actor)
    async with unit_of_work(database_url) as uow:
        await uow.session.execute(text("UPDATE packages SET facts = '{}'::jsonb WHERE id = :id"), {"id": package_id})
    assert (await _build(database_url, build_id)).status == "FAILED"

    async def retry() -> str:
        try:
            async with unit_of_work(database_url) as uow:
                await builds.retry(uow, actor, version_id)
        except OperationRefusedError as error:
            return error.code
        return "RETRIED"

    outcomes = await asyncio.gather(*(retry() for _ in range(4)))
    assert sorted(outcomes) == ["PIPELINE_NOT_FAILED"] * 3 + ["RETRIED"]
    async with unit_of_work(database_url) as uow:
        count = await uow.session.scalar(
            text("SELECT count(*) FROM jobs WHERE package_id = :id AND kind = 'BUILD_PACKAGE'"), {"id": package_id}
        )
    assert count == 2


async def test_a_build_cannot_be_started_as_a_job_and_a_draft_has_no_pipeline_to_retry(database_url: str) -> None:
    actor = await new_actor(database_url)
    async with unit_of_work(database_url) as uow:
        package, draft = await packages.create(uow, actor, steps=VALID_STEPS)
    async with unit_of_work(database_url) as uow:
        with pytest.raises(OperationRefusedError) as started:
            await jobs.start(uow, actor, package.id, JobKind.BUILD_PACKAGE)
    assert started.value.code == "JOB_KIND_NOT_STARTABLE"
    async with unit_of_work(database_url) as uow:
        with pytest.raises(OperationRefusedError) as retried:
            await builds.retry(uow, actor, draft.id)
    assert retried.value.code == "VERSION_NOT_PUBLISHED"


async def test_cancelling_a_queued_build_ends_its_pipeline_failed_and_it_can_be_retried(database_url: str) -> None:
    actor = await new_actor(database_url)
    package_id, version_id, build_id = await _published(database_url, actor)
    async with unit_of_work(database_url) as uow:
        cancelled = await jobs.cancel(uow, actor, build_id)
    assert cancelled.status == "CANCELLED"
    assert (await _stages(database_url, package_id))[-1] == ("FAILED", "BUILD_CANCELLED")
    async with unit_of_work(database_url) as uow:
        _, retried = await builds.retry(uow, actor, version_id)
    assert (await _build(database_url, retried.id)).status == "SUCCEEDED"


async def test_a_hub_dataset_profiled_without_its_commit_fails_the_build_as_unpinned(database_url: str) -> None:
    actor = await new_actor(database_url)
    package_id, _, build_id = await _published(database_url, actor)
    async with unit_of_work(database_url) as uow:  # a profile stored before profiles kept the commit
        await uow.session.execute(
            text(
                "UPDATE packages SET facts = jsonb_set(facts, ARRAY['dataset', k], (facts->'dataset'->k) - 'revision') "
                "FROM jsonb_object_keys((SELECT facts->'dataset' FROM packages WHERE id = :id)) AS k WHERE id = :id"
            ),
            {"id": package_id},
        )
    failed = await _build(database_url, build_id)
    assert (failed.status, failed.error_code) == ("FAILED", "BUNDLE_DATASET_UNPINNED"), failed.error_message


async def test_a_build_sent_back_to_retry_after_a_transient_error_is_queued_again_then_ready(database_url: str) -> None:
    actor = await new_actor(database_url)
    package_id, _, build_id = await _published(database_url, actor)

    async def unavailable(_: JobContext) -> Outcome:
        raise IntegrationError("STORE_UNAVAILABLE", "The store did not answer.", transient=True)

    await run_job(str(build_id), JobKind.BUILD_PACKAGE, unavailable)
    waiting = await _build_row(database_url, build_id)
    assert (waiting.status, waiting.attempts) == ("QUEUED", 1)
    assert pipeline_events.state_of(waiting).stage == "QUEUED"
    assert await _stages(database_url, package_id) == [("QUEUED", None), ("QUEUED", None)]
    assert (await _build(database_url, build_id)).status == "SUCCEEDED"
    assert (await _stages(database_url, package_id))[-2:] == [("BUILDING", None), ("READY", None)]


async def _build_row(database_url: str, job_id: uuid.UUID) -> Job:
    async with unit_of_work(database_url) as uow:
        job = await uow.jobs.get(job_id)
    assert job is not None
    return job
