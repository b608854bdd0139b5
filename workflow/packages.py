"""Use cases on packages themselves: create, rename, archive, unarchive, delete."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace

from db.models import Package, Version
from db.uow import UnitOfWork
from workflow import machine
from workflow.access import Actor, Scope
from workflow.drafts import upload_names, utcnow
from workflow.errors import NameTakenError, NotFoundError, OperationRefusedError, ValidationFailedError
from workflow.events import EventBatch, EventType
from workflow.facts import Facts
from workflow.issues import Issue, IssueCode
from workflow.jobs import schedule_needed
from workflow.naming import auto_name, first_free, name_problem
from workflow.patches import merged_blocks
from workflow.records import write_state
from workflow.secrets import secret_names_for
from workflow.steps import MAX_DATASET_SOURCES, parse_patch
from workflow.text import require_storable


async def create(
    uow: UnitOfWork,
    actor: Actor,
    *,
    name: str | None = None,
    description: str | None = None,
    steps: Mapping[str, object] | None = None,
    max_sources: int = MAX_DATASET_SOURCES,
    merge: bool = False,
) -> tuple[Package, Version]:
    """A new package with draft v1 (step 1 open), named automatically unless ``name`` is given.

    With ``merge`` the steps are a merge patch laid on empty blocks (``None`` fields left out).
    """
    actor.require(Scope.WRITE)
    require_storable(name=name, description=description)
    state = machine.new_draft()
    if steps:
        if merge:
            blocks = merged_blocks(state.content, steps, max_sources=max_sources)
        else:
            blocks = parse_patch(steps, max_sources=max_sources)
        content = state.content
        for step, block in blocks.items():
            content = content.with_block(step, block)
        facts = Facts(  # no worker has run yet
            hardware_names=await uow.hardware.flavour_names(),
            secret_names=await secret_names_for(uow, actor.organisation_id, content),
        )
        state = machine.save(state, blocks, facts).state
        state = replace(state, revision=1)
    if name is not None:
        _check_name(name)
    now = utcnow()
    package = Package(
        id=uuid.uuid4(),
        organisation_id=actor.organisation_id,
        description=description or "",
        created_at=now,
        updated_at=now,
        created_by=actor.label,
        name_is_custom=name is not None,
        revision=state.revision,
    )
    # Every name change in an organisation holds its naming lock until commit, so two
    # requests can never both find a name free (the unique constraint is the last resort).
    await uow.packages.lock_names(actor.organisation_id)
    if name is not None:
        if await uow.packages.name_taken(actor.organisation_id, name):
            raise NameTakenError(name)
        package.name = name
    else:
        wanted = auto_name(state.content, now.date(), await upload_names(uow, actor.organisation_id, state.content))
        package.name = first_free(wanted, await uow.packages.names_starting_with(actor.organisation_id, wanted))
    version = Version(
        id=uuid.uuid4(),
        package_id=package.id,
        organisation_id=actor.organisation_id,
        created_by=actor.label,
        created_at=now,
        saved_at=now,
    )
    write_state(version, state)
    uow.packages.add(package)
    await uow.session.flush()  # the package row must exist before its version (no ORM relationship orders them)
    await uow.versions.insert(version)
    events = EventBatch(actor)
    events.add(EventType.PACKAGE_CREATED, package.id, name=package.name, versionId=str(version.id))
    if steps:
        await schedule_needed(uow, actor, package, state.content, events)
    await uow.events.append_many(events.rows)
    return package, version


async def rename(uow: UnitOfWork, actor: Actor, package_id: uuid.UUID, name: str) -> Package:
    """Give the package an explicit name; it stops following the selections."""
    actor.require(Scope.WRITE)
    require_storable(name=name)
    _check_name(name)
    package = await _locked(uow, actor, package_id)
    if package.name == name and package.name_is_custom:
        return package
    await uow.packages.lock_names(actor.organisation_id)
    if await uow.packages.name_taken(actor.organisation_id, name, excluding=package.id):
        raise NameTakenError(name)
    events = EventBatch(actor)
    events.add(EventType.PACKAGE_RENAMED, package.id, name=name, previousName=package.name, automatic=False)
    package.name = name
    package.name_is_custom = True
    package.updated_at = utcnow()
    await uow.packages.save(package)
    await uow.events.append_many(events.rows)
    return package


async def set_archived(uow: UnitOfWork, actor: Actor, package_id: uuid.UUID, *, archived: bool) -> Package:
    """Archive (hide from the default listing, refuse edits) or unarchive a package."""
    actor.require(Scope.WRITE)
    package = await _locked(uow, actor, package_id)
    if (package.archived_at is not None) == archived:
        return package
    now = utcnow()
    package.archived_at = now if archived else None
    package.updated_at = now
    await uow.packages.save(package)
    events = EventBatch(actor)
    events.add(EventType.PACKAGE_ARCHIVED if archived else EventType.PACKAGE_UNARCHIVED, package.id)
    await uow.events.append_many(events.rows)
    return package


async def delete(uow: UnitOfWork, actor: Actor, package_id: uuid.UUID) -> uuid.UUID:
    """Delete a package that was never published (published versions are kept forever)."""
    actor.require(Scope.WRITE)
    package = await _locked(uow, actor, package_id)
    if await uow.versions.latest_published(package.id) is not None:
        raise OperationRefusedError(
            "PACKAGE_PUBLISHED", "A package with published versions cannot be deleted; archive it instead."
        )
    events = EventBatch(actor)
    events.add(EventType.PACKAGE_DELETED, package.id, name=package.name)
    await uow.packages.delete(package)
    await uow.events.append_many(events.rows)
    return package.id


async def _locked(uow: UnitOfWork, actor: Actor, package_id: uuid.UUID) -> Package:
    locked = await uow.packages.lock_with_draft(actor.organisation_id, package_id)
    if locked is None:
        raise NotFoundError(str(package_id))
    return locked.package


def _check_name(name: str) -> None:
    problem = name_problem(name)
    if problem:
        raise ValidationFailedError([Issue("name", IssueCode.NAME_INVALID, problem)])
