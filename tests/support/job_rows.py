"""Job rows for the worker tests: a fresh organisation, a package whose model needs resolving,
and its jobs read back from the database."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from db.models import Job
from trainpack.database import unit_of_work
from workflow import drafts, packages, tokens
from workflow.access import Actor, Scope
from workflow.targets import PackageRef

HUB_MODEL = {"model": {"source": "HUB", "repoId": "acme/tiny-llama", "revision": "main"}}


async def new_actor(database_url: str) -> Actor:
    """A token's actor (every scope) of a brand-new organisation."""
    async with unit_of_work(database_url) as uow:
        issued = await tokens.issue(uow, f"org-{uuid.uuid4().hex[:10]}", "test", [Scope.READ, Scope.WRITE])
    return Actor(issued.organisation.id, issued.organisation.name, issued.token.id, "test", frozenset(Scope))


async def package_with_model(database_url: str, actor: Actor) -> tuple[uuid.UUID, uuid.UUID]:
    """A package whose step 1 names a Hub model; the id of the package and of its resolve job."""
    async with unit_of_work(database_url) as uow:
        package, version = await packages.create(uow, actor)
    async with unit_of_work(database_url) as uow:
        await drafts.save(uow, actor, PackageRef(package.id), HUB_MODEL, expected_revision=version.revision)
    job = await only_job(database_url, package.id)
    return package.id, job.id


async def only_job(database_url: str, package_id: uuid.UUID) -> Job:
    """The package's one job."""
    async with unit_of_work(database_url) as uow:
        rows = list(await uow.session.scalars(select(Job).where(Job.package_id == package_id)))
    assert len(rows) == 1, rows
    return rows[0]


async def job_row(database_url: str, job_id: uuid.UUID) -> Job:
    """A job as it is stored now."""
    async with unit_of_work(database_url) as uow:
        job = await uow.jobs.get(job_id)
    assert job is not None
    return job
