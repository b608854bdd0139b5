"""Use cases on a package's draft: save, complete and open steps, publish, discard, restore.

Each function runs inside the caller's unit of work: it locks the package row (so writers
of one package are serialised), checks the expected revision, applies the pure state
machine, writes the version, and records events. It never commits.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from db.models import Package, Version
from db.uow import UnitOfWork
from workflow import builds, machine
from workflow.access import Actor, Scope
from workflow.errors import (
    DraftExistsError,
    IdempotencyKeyReusedError,
    NotFoundError,
    NothingToPublishError,
    OperationRefusedError,
    RevisionConflictError,
    VersionImmutableError,
)
from workflow.events import EventBatch, EventType, status_events, utcnow
from workflow.fact_store import facts_for
from workflow.facts import Facts
from workflow.issues import Issue, Severity
from workflow.jobs import ESTIMATE_ONLY, refresh_stale_estimate, schedule_needed
from workflow.naming import auto_name, first_free, naming_upload
from workflow.patches import merged_blocks
from workflow.presets import apply_preset
from workflow.records import mark_saved, state_of, write_state
from workflow.secrets import forget_access_failures_on_token_change, secret_names_for, with_secret_names
from workflow.steps import MAX_DATASET_SOURCES, Block, ConfigStepData, PackageContent, Step, parse_patch
from workflow.targets import PackageRef, Target, VersionRef
from workflow.text import require_length, require_storable

IDEMPOTENCY_KEY_LENGTH = 200


class SaveTrigger(StrEnum):
    """Who asked for the save: the user, or the wizard's autosave timer."""

    MANUAL = "MANUAL"
    AUTOSAVE = "AUTOSAVE"


@dataclass(frozen=True)
class DraftOutcome:
    """What a draft write returns: the rows as they now are, and the save's own figures."""

    package: Package
    version: Version
    changed: bool
    revision: int
    saved_at: datetime | None
    errors: tuple[Issue, ...]
    warnings: tuple[Issue, ...]


@dataclass
class _Workspace:
    package: Package
    draft: Version | None
    source: Version | None  # the published version a new draft would be copied from
    state: machine.VersionState
    opened: bool = False  # the draft row is new (inserted, not updated)
    hardware_names: tuple[str, ...] | None = None  # the catalogue in use (None: the default table)


async def save(
    uow: UnitOfWork,
    actor: Actor,
    target: Target,
    steps: Mapping[str, object],
    *,
    expected_revision: int,
    trigger: SaveTrigger = SaveTrigger.MANUAL,
    idempotency_key: str | None = None,
    config_preset: str | None = None,
    max_sources: int = MAX_DATASET_SOURCES,
    merge: bool = False,
) -> DraftOutcome:
    """Store partial step data; edited steps reopen and later complete steps re-validate.

    With ``merge`` the step data is a merge patch (``workflow.patches``): omitted fields stay as
    stored, ``None`` clears. Without it each named block is replaced whole (the JSON form).
    """
    actor.require(Scope.WRITE)
    require_storable(idempotencyKey=idempotency_key, configPreset=config_preset)
    require_length("idempotencyKey", idempotency_key, IDEMPOTENCY_KEY_LENGTH)
    blocks: dict[Step, Block] = {}
    if merge:
        # Shape errors of the patch itself are refused before any lock is taken.
        merged_blocks(PackageContent(), steps, config_preset=config_preset, max_sources=max_sources)
    else:
        blocks = parse_patch(steps, max_sources=max_sources)
        if config_preset is not None:
            overrides = blocks.get(Step.CONFIG)
            config = overrides if isinstance(overrides, ConfigStepData) else None
            blocks[Step.CONFIG] = apply_preset(config_preset, config)
    request_hash = _fingerprint(
        {
            "target": repr(target),
            "steps": steps,
            "trigger": trigger.value,
            "expected": expected_revision,
            "preset": config_preset,
            **({"merge": True} if merge else {}),
        }
    )
    space = await _lock(uow, actor, target)
    if idempotency_key is not None:
        # Checked under the package lock, so a concurrent retry waits for the first answer.
        replay = await _replay(uow, actor, idempotency_key, "saveDraft", request_hash)
        if replay is not None:
            return replay
    _check_revision(space, expected_revision)
    if merge:
        content = space.state.content
        blocks = merged_blocks(content, steps, config_preset=config_preset, max_sources=max_sources)
    token_changed = await forget_access_failures_on_token_change(uow, space.package, space.state.content, blocks)
    transition = machine.save(space.state, blocks, await _facts_after(uow, space, blocks))
    if not transition.changed:
        version = space.draft or space.source
        assert version is not None
        return _outcome(space.package, version, transition.state, changed=False)
    now = utcnow()
    events = EventBatch(actor)
    version = _write(space, transition.state, actor, events, now)
    mark_saved(version, now, autosave=trigger is SaveTrigger.AUTOSAVE)
    await _follow_auto_name(uow, space.package, space.state, transition.state, events)
    events.add(
        EventType.DRAFT_SAVED,
        space.package.id,
        versionId=str(version.id),
        number=version.number,
        revision=version.revision,
        trigger=trigger.value,
        savedAt=now.isoformat(),
        steps=[step.value for step in transition.edited_steps],
    )
    status_events(events, space.package.id, version.id, version.revision, transition)
    if token_changed or Step.MODEL in transition.edited_steps or Step.DATASET in transition.edited_steps:
        await schedule_needed(
            uow, actor, space.package, transition.state.content, events, hardware_names=space.hardware_names
        )
    elif Step.CONFIG in transition.edited_steps:  # a new config needs a new estimate, nothing else
        await schedule_needed(
            uow,
            actor,
            space.package,
            transition.state.content,
            events,
            kinds=ESTIMATE_ONLY,
            hardware_names=space.hardware_names,
        )
    if Step.DEPLOY in transition.edited_steps:
        content = transition.state.content
        await refresh_stale_estimate(uow, actor, space.package, content, events, space.hardware_names)
    outcome = await _finish(uow, space, transition.state, events, now)
    if idempotency_key is not None:
        first_answer = {
            "versionId": str(version.id),
            "revision": outcome.revision,
            "savedAt": now.isoformat(),
            "errors": [issue.as_dict() for issue in outcome.errors],
            "warnings": [issue.as_dict() | {"severity": issue.severity.value} for issue in outcome.warnings],
        }
        if not await uow.idempotency.put(
            actor.organisation_id, idempotency_key, "saveDraft", request_hash, first_answer
        ):
            raise IdempotencyKeyReusedError(idempotency_key)
    return outcome


async def complete_step(
    uow: UnitOfWork, actor: Actor, target: Target, step: Step, *, expected_revision: int
) -> DraftOutcome:
    """Fully validate one step: COMPLETE (and move on) when valid, ERROR with findings when not."""
    actor.require(Scope.WRITE)
    space = await _open_for_write(uow, actor, target, expected_revision)
    now = utcnow()
    transition = machine.complete(space.state, step, await _facts(uow, space), now)
    events = EventBatch(actor)
    version = _write(space, transition.state, actor, events, now)
    status_events(events, space.package.id, version.id, version.revision, transition)
    return await _finish(uow, space, transition.state, events, now)


async def open_step(
    uow: UnitOfWork, actor: Actor, target: Target, step: Step, *, expected_revision: int
) -> DraftOutcome:
    """Navigate to a step; only allowed when every earlier step is COMPLETE."""
    actor.require(Scope.WRITE)
    space = await _open_for_write(uow, actor, target, expected_revision)
    transition = machine.open_step(space.state, step)
    if not transition.changed:
        version = space.draft or space.source
        assert version is not None
        return _outcome(space.package, version, transition.state, changed=False)
    now = utcnow()
    events = EventBatch(actor)
    version = _write(space, transition.state, actor, events, now)
    events.add(
        EventType.CURRENT_STEP_CHANGED,
        space.package.id,
        versionId=str(version.id),
        revision=version.revision,
        step=step.value,
    )
    status_events(events, space.package.id, version.id, version.revision, transition)
    return await _finish(uow, space, transition.state, events, now)


async def publish(
    uow: UnitOfWork, actor: Actor, target: Target, *, expected_revision: int, changelog: str | None
) -> DraftOutcome:
    """Publish the draft as an immutable version after a final re-validation."""
    actor.require(Scope.PUBLISH)
    require_storable(changelog=changelog)
    space = await _open_for_write(uow, actor, target, expected_revision, open_draft=False)
    if space.draft is None:
        raise NothingToPublishError("NO_DRAFT", "The package has no draft; edit it to open one.")
    latest = space.source
    state = machine.publish(space.state, await _facts(uow, space), latest.content_hash if latest else None)
    now = utcnow()
    version = space.draft
    write_state(version, state)
    version.published_at = now
    version.published_by = actor.label
    version.changelog = (changelog or "").strip() or None
    events = EventBatch(actor)
    events.add(
        EventType.VERSION_PUBLISHED,
        space.package.id,
        versionId=str(version.id),
        number=version.number,
        revision=version.revision,
        contentHash=version.content_hash,
        changelog=version.changelog,
    )
    await _start_pipeline(uow, actor, space, events)
    return await _finish(uow, space, state, events, now)


async def _start_pipeline(uow: UnitOfWork, actor: Actor, space: _Workspace, events: EventBatch) -> None:
    """The publish pipeline's hook: the version being published gets its first build, in this transaction."""
    assert space.draft is not None
    await builds.start(uow, actor, space.package.id, space.draft, space.package.name, events)


async def discard(uow: UnitOfWork, actor: Actor, target: Target, *, expected_revision: int) -> Package:
    """Drop the draft; the package returns to its latest published version."""
    actor.require(Scope.WRITE)
    space = await _open_for_write(uow, actor, target, expected_revision, open_draft=False)
    if space.draft is None:
        raise OperationRefusedError("NO_DRAFT", "The package has no draft to discard.")
    if space.source is None:
        raise OperationRefusedError(
            "NEVER_PUBLISHED", "This draft is the package's only version; delete the package instead."
        )
    events = EventBatch(actor)
    events.add(EventType.DRAFT_DISCARDED, space.package.id, versionId=str(space.draft.id), number=space.draft.number)
    await uow.versions.delete(space.draft)
    await _follow_auto_name(uow, space.package, space.state, state_of(space.source), events)
    space.package.updated_at = utcnow()
    await uow.packages.save(space.package)
    await uow.events.append_many(events.rows)
    return space.package


async def restore(uow: UnitOfWork, actor: Actor, version_id: uuid.UUID) -> DraftOutcome:
    """Open a new draft copied from any published version of the package."""
    actor.require(Scope.WRITE)
    found = await uow.versions.by_ids(actor.organisation_id, [version_id])
    source = found.get(version_id)
    if source is None:
        raise NotFoundError(str(version_id))
    locked = await uow.packages.lock_with_draft(actor.organisation_id, source.package_id)
    if locked is None:
        raise NotFoundError(str(version_id))
    _refuse_archived(locked.package)
    if locked.draft is not None:
        raise DraftExistsError(locked.draft.number)
    if source.status != machine.VersionStatus.PUBLISHED:
        raise OperationRefusedError("NOT_PUBLISHED", "Only a published version can be restored.")
    number, revision = await uow.versions.highest(locked.package.id)
    current = await uow.versions.latest_published(locked.package.id)
    revision = max(revision, locked.package.revision)
    state = machine.reopen(state_of(source), number=number + 1, revision=revision + 1)
    now = utcnow()
    events = EventBatch(actor)
    space = _Workspace(locked.package, None, source, state)
    _write(space, state, actor, events, now)
    await _follow_auto_name(uow, locked.package, state_of(current) if current else state, state, events)
    return await _finish(uow, space, state, events, now)


async def _open_for_write(
    uow: UnitOfWork, actor: Actor, target: Target, expected_revision: int, *, open_draft: bool = True
) -> _Workspace:
    """Lock the package, check the revision, and give the draft's state (a fresh copy if none)."""
    space = await _lock(uow, actor, target, open_draft=open_draft)
    _check_revision(space, expected_revision)
    return space


async def _lock(uow: UnitOfWork, actor: Actor, target: Target, *, open_draft: bool = True) -> _Workspace:
    """Lock the addressed package and load what a write works on.

    The source (latest published version) is loaded when there is no draft, or when
    ``open_draft`` is false (publish and discard compare with it).
    """
    addressed: Version | None = None
    if isinstance(target, VersionRef):
        found = await uow.versions.by_ids(actor.organisation_id, [target.version_id])
        addressed = found.get(target.version_id)
        if addressed is None:
            raise NotFoundError(str(target.version_id))
        if addressed.status == machine.VersionStatus.PUBLISHED:
            raise VersionImmutableError(addressed.number)
        package_id = addressed.package_id
    else:
        package_id = target.package_id
    locked = await uow.packages.lock_with_draft(actor.organisation_id, package_id)
    if locked is None:
        raise NotFoundError(str(package_id))
    if addressed is not None and (locked.draft is None or locked.draft.id != addressed.id):
        # The addressed draft was published or discarded while this request waited for the lock.
        still_there = await uow.versions.by_ids(actor.organisation_id, [addressed.id])
        if still_there:
            raise VersionImmutableError(addressed.number)
        raise NotFoundError(str(addressed.id))
    _refuse_archived(locked.package)
    draft = locked.draft
    source = await uow.versions.latest_published(package_id) if draft is None or not open_draft else None
    hardware = locked.hardware_names
    if draft is not None:
        return _Workspace(locked.package, draft, source, state_of(draft), hardware_names=hardware)
    if source is None:
        raise NotFoundError(str(package_id))
    number, _ = await uow.versions.highest(package_id)
    # Continue from the highest revision the package ever used: a discarded draft's revisions
    # may still be held by a stale client and must never be reused.
    revision = max(source.revision, locked.package.revision)
    state = machine.reopen(state_of(source), number + 1, revision)
    return _Workspace(locked.package, None, source, state, hardware_names=hardware)


async def _facts(uow: UnitOfWork, space: _Workspace) -> Facts:
    """The workers' facts (and the organisation's secret names) that apply to the draft's current content."""
    content = space.state.content
    names = await secret_names_for(uow, space.package.organisation_id, content)
    return with_secret_names(facts_for(content, space.package.facts, space.hardware_names), names)


async def _facts_after(uow: UnitOfWork, space: _Workspace, blocks: Mapping[Step, Block]) -> Facts:
    """The facts that apply to the content as it will be once ``blocks`` are stored."""
    content = space.state.content
    for step, block in blocks.items():
        content = content.with_block(step, block)
    names = await secret_names_for(uow, space.package.organisation_id, content)
    return with_secret_names(facts_for(content, space.package.facts, space.hardware_names), names)


def _check_revision(space: _Workspace, expected_revision: int) -> None:
    """Refuse a write based on a revision that is no longer current (two tabs, one draft)."""
    current = space.draft or space.source
    assert current is not None
    if current.revision != expected_revision:
        raise RevisionConflictError(expected_revision, current.revision)


def _refuse_archived(package: Package) -> None:
    if package.archived_at is not None:
        raise OperationRefusedError("PACKAGE_ARCHIVED", "The package is archived; unarchive it to change it.")


def _write(space: _Workspace, state: machine.VersionState, actor: Actor, events: EventBatch, now: datetime) -> Version:
    """Update the draft row, or insert the new draft row copied from the source version."""
    if space.draft is not None:
        write_state(space.draft, state)
        return space.draft
    assert space.source is not None
    version = Version(
        id=uuid.uuid4(),
        package_id=space.package.id,
        organisation_id=space.package.organisation_id,
        based_on_id=space.source.id,
        created_by=actor.label,
        created_at=now,
    )
    write_state(version, state)
    events.add(
        EventType.DRAFT_OPENED,
        space.package.id,
        versionId=str(version.id),
        number=state.number,
        basedOn=space.source.number,
        revision=state.revision,
    )
    space.draft = version
    space.opened = True
    return version


async def _follow_auto_name(
    uow: UnitOfWork, package: Package, before: machine.VersionState, after: machine.VersionState, events: EventBatch
) -> None:
    """Keep an automatic name in step with the selections, avoiding collisions."""
    if package.name_is_custom:
        return
    created_on = package.created_at.date()
    names = await upload_names(uow, package.organisation_id, before.content, after.content)
    wanted = auto_name(after.content, created_on, names)
    if wanted == auto_name(before.content, created_on, names) and package.name.startswith(wanted):
        return
    await uow.packages.lock_names(package.organisation_id)
    taken = await uow.packages.names_starting_with(package.organisation_id, wanted)
    taken.discard(package.name)
    name = first_free(wanted, taken)
    if name != package.name:
        events.add(EventType.PACKAGE_RENAMED, package.id, name=name, previousName=package.name, automatic=True)
        package.name = name


async def upload_names(uow: UnitOfWork, organisation_id: uuid.UUID, *contents: PackageContent) -> dict[str, str]:
    """File names of the uploads automatic names are made from (no query when there are none)."""
    ids = {upload_id for content in contents if (upload_id := naming_upload(content)) is not None}
    if not ids:
        return {}
    return await uow.uploads.filenames(organisation_id, [uuid.UUID(upload_id) for upload_id in ids])


async def _finish(
    uow: UnitOfWork, space: _Workspace, state: machine.VersionState, events: EventBatch, now: datetime
) -> DraftOutcome:
    """Write the draft (new or updated), the package's changes and the events."""
    version = space.draft
    assert version is not None
    if space.opened:
        await uow.versions.insert(version)
    else:
        await uow.versions.update(version)
    space.package.updated_at = now
    space.package.revision = max(space.package.revision, version.revision)
    await uow.packages.save(space.package, events=events.rows)
    return _outcome(space.package, version, state, changed=True)


def _outcome(package: Package, version: Version, state: machine.VersionState, *, changed: bool) -> DraftOutcome:
    errors = tuple(issue for step_state in state.steps for issue in step_state.errors)
    warnings = tuple(issue for step_state in state.steps for issue in step_state.warnings)
    saved = max((stamp for stamp in (version.saved_at, version.autosaved_at) if stamp), default=None)
    return DraftOutcome(package, version, changed, state.revision, saved, errors, warnings)


async def _replay(uow: UnitOfWork, actor: Actor, key: str, operation: str, request_hash: str) -> DraftOutcome | None:
    """The first answer to a retried request, or ``None`` when the key is new."""
    record = await uow.idempotency.get(actor.organisation_id, key)
    if record is None:
        return None
    if record.operation != operation or record.request_hash != request_hash:
        raise IdempotencyKeyReusedError(key)
    first = record.response
    version_id = uuid.UUID(first["versionId"])
    version = (await uow.versions.by_ids(actor.organisation_id, [version_id])).get(version_id)
    package = await uow.packages.get(actor.organisation_id, version.package_id) if version else None
    if version is None or package is None:
        raise NotFoundError(str(version_id))
    return DraftOutcome(
        package,
        version,
        changed=True,
        revision=int(first["revision"]),
        saved_at=datetime.fromisoformat(first["savedAt"]),
        errors=tuple(Issue.from_dict(item) for item in first["errors"]),
        warnings=tuple(Issue.from_dict(item, Severity(item["severity"])) for item in first["warnings"]),
    )


def _fingerprint(request: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


__all__ = [
    "DraftOutcome",
    "PackageRef",
    "SaveTrigger",
    "VersionRef",
    "complete_step",
    "discard",
    "open_step",
    "publish",
    "restore",
    "save",
    "utcnow",
]
