"""Use cases on organisation secrets: set, delete, the names the rules see, the Hub token a job uses.

A value is sealed (``workflow.sealing``) before it reaches the database and opened only where a
worker hands it to the Hub client; it is never returned, logged, put in an event (those carry
the name only) or in an error message. Setting or deleting a secret re-validates the drafts that
use it, in the same transaction: step 4's ``HUB_TOKEN_SECRET_MISSING`` resolves once the secret
exists, and model or dataset resolutions that failed for want of access (gated, private) are run
again with the new token.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Mapping
from typing import Any

from db.models import OrganisationSecret, Package
from db.uow import UnitOfWork
from workflow import fact_store, machine
from workflow.access import Actor, Scope
from workflow.errors import NotFoundError, OperationRefusedError, ValidationFailedError
from workflow.events import EventBatch, EventType, status_events, utcnow
from workflow.facts import Facts
from workflow.issues import Issue, IssueCode
from workflow.jobs import schedule_needed
from workflow.records import state_of, write_state
from workflow.sealing import SecretBox, SecretUnreadableError, last_four
from workflow.steps import Block, DeployStepData, PackageContent, Step
from workflow.text import text_problem

NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
"""An environment variable's name, as a Space receives its secrets: upper case, digits, underscores."""
MAX_VALUE_LENGTH = 10_000
MAX_SECRETS_PER_ORGANISATION = 100
DEFAULT_HUB_TOKEN_SECRET = "HF_TOKEN"
"""The secret a package's Hub calls use when its step 4 names none (``deploy.hubTokenSecret``)."""
ACCESS_FAILURES = frozenset({"HUB_GATED", "HUB_NOT_FOUND", "HUB_TOKEN_INVALID", "HUB_TOKEN_FORBIDDEN"})
"""Stored worker failures that another token may turn into a success (a private repo is not found)."""


def check_name(name: str) -> None:
    """Refuse a name that is not an environment variable's (a Space gets its secrets as those)."""
    if not NAME.fullmatch(name):
        raise ValidationFailedError(
            [
                Issue(
                    "name",
                    IssueCode.SECRET_NAME_INVALID,
                    "A secret name is 1 to 64 upper-case letters, digits and underscores, starting with a letter.",
                )
            ]
        )


def _check_value(value: str) -> None:
    """Refuse a value that cannot be stored; the messages never quote it."""
    problem = None
    if not value:
        problem = Issue("value", IssueCode.REQUIRED, "The value must not be empty.")
    elif len(value) > MAX_VALUE_LENGTH:
        problem = Issue("value", IssueCode.TOO_LONG, f"At most {MAX_VALUE_LENGTH} characters.")
    elif (reason := text_problem(value)) is not None:
        problem = Issue("value", IssueCode.INVALID_CHARACTER, reason)
    if problem is not None:
        raise ValidationFailedError([problem])


def _require_box(box: SecretBox | None) -> SecretBox:
    if box is None:
        raise OperationRefusedError(
            "SECRETS_UNAVAILABLE", "This instance has no TRAINPACK_SECRET_KEY, so it cannot store secrets."
        )
    return box


async def set_secret(
    uow: UnitOfWork, actor: Actor, box: SecretBox | None, name: str, value: str
) -> tuple[OrganisationSecret, bool]:
    """Create or replace the secret ``name``; the row and whether it is new."""
    actor.require(Scope.ADMIN)
    check_name(name)
    _check_value(value)
    sealed = _require_box(box).seal(value)
    await uow.secrets.lock_organisation(actor.organisation_id)  # the count below holds until commit
    existing = await uow.secrets.get(actor.organisation_id, name)
    if existing is None and await uow.secrets.count(actor.organisation_id) >= MAX_SECRETS_PER_ORGANISATION:
        raise OperationRefusedError(
            "TOO_MANY_SECRETS", f"An organisation has at most {MAX_SECRETS_PER_ORGANISATION} secrets."
        )
    secret, created = await uow.secrets.upsert(
        actor.organisation_id, name, sealed, last_four(value), actor.label, utcnow()
    )
    events = EventBatch(actor)
    events.add_organisation(EventType.SECRET_SET, name=name, created=created)
    await _revalidate(uow, actor, name, events)
    await uow.events.append_many(events.rows)
    return secret, created


async def delete_secret(uow: UnitOfWork, actor: Actor, name: str) -> str:
    """Delete the secret ``name`` (drafts that name it in step 4 get ``HUB_TOKEN_SECRET_MISSING``)."""
    actor.require(Scope.ADMIN)
    check_name(name)
    await uow.secrets.lock_organisation(actor.organisation_id)
    if not await uow.secrets.delete(actor.organisation_id, name):
        raise NotFoundError(name, f"Your organisation has no secret named {name!r}.")
    events = EventBatch(actor)
    events.add_organisation(EventType.SECRET_DELETED, name=name)
    await _revalidate(uow, actor, name, events)
    await uow.events.append_many(events.rows)
    return name


async def secret_names_for(uow: UnitOfWork, organisation_id: uuid.UUID, content: PackageContent) -> frozenset[str]:
    """The organisation's secret names, read only when the content names a secret (no query on
    the autosave path of a draft whose step 4 names none: the rules then ask nothing of them)."""
    if not content.deploy.hub_token_secret:
        return frozenset()
    return await uow.secrets.names(organisation_id)


def with_secret_names(facts: Facts, names: frozenset[str]) -> Facts:
    """``facts`` completed with the organisation's secret names."""
    return dataclasses.replace(facts, secret_names=names)


def hub_token_secret_name(content: PackageContent) -> str:
    """The secret whose value a package's Hub calls carry."""
    return content.deploy.hub_token_secret or DEFAULT_HUB_TOKEN_SECRET


async def hub_token(
    uow: UnitOfWork, box: SecretBox | None, organisation_id: uuid.UUID, package_id: uuid.UUID
) -> str | None:
    """The Hub token for a job of this package: the organisation's secret its step 4 names (or
    ``HF_TOKEN``), decrypted; ``None`` when the organisation has no such secret."""
    version = await uow.versions.draft(package_id) or await uow.versions.latest_published(package_id)
    content = state_of(version).content if version is not None else PackageContent()
    secret = await uow.secrets.get(organisation_id, hub_token_secret_name(content))
    if secret is None:
        return None
    return _require_box(box).open(secret.sealed)


async def rotate_key(uow: UnitOfWork, old: SecretBox, new: SecretBox) -> int:
    """Re-encrypt every stored value from ``old`` to ``new`` in the caller's transaction (all or
    nothing); how many. A value ``old`` cannot open stops it before anything is written."""
    rows = await uow.secrets.all_sealed(lock=True)
    await uow.secrets.reseal_many([(row.organisation_id, row.name, new.seal(old.open(row.sealed))) for row in rows])
    return len(rows)


START_CHECK_SAMPLE = 100


async def check_key(uow: UnitOfWork, box: SecretBox | None) -> str | None:
    """Why a serving process may not start with this key, or ``None``: stored secrets and no key,
    or a key that does not open the most recently changed values (rotation changes all at once)."""
    rows = await uow.secrets.all_sealed(limit=START_CHECK_SAMPLE)
    if not rows:
        return None
    if box is None:
        return "Secrets are stored but TRAINPACK_SECRET_KEY is not set; set the key they were encrypted with."
    try:
        for row in rows:
            box.open(row.sealed)
    except SecretUnreadableError:
        return (
            "TRAINPACK_SECRET_KEY does not decrypt the stored secrets; set the key they were encrypted with"
            " (after a rotation, the new key)."
        )
    return None


async def _revalidate(uow: UnitOfWork, actor: Actor, name: str, events: EventBatch) -> None:
    """Re-validate every draft whose Hub calls use ``name``, without bumping its revision, and
    run again the resolutions that failed for want of access."""
    concerned = await uow.secrets.drafts_using(actor.organisation_id, name, DEFAULT_HUB_TOKEN_SECRET, ACCESS_FAILURES)
    if not concerned:
        return
    names = await uow.secrets.names(actor.organisation_id)
    hardware = await uow.hardware.flavour_names()
    for package_id in concerned:
        locked = await uow.packages.lock_with_draft(actor.organisation_id, package_id)
        if locked is None or locked.draft is None:
            continue  # published or discarded since it was listed
        draft, package = locked.draft, locked.package
        state = state_of(draft)
        stored = without_access_failures(package.facts)
        if stored != package.facts:
            package.facts = stored
            await uow.packages.save_facts(package.id, stored)
            await schedule_needed(uow, actor, package, state.content, events)
        facts = fact_store.facts_for(state.content, stored, hardware)
        transition = machine.refresh(state, with_secret_names(facts, names))
        if transition.changed:
            write_state(draft, transition.state)
            await uow.versions.update(draft)
            status_events(events, package.id, draft.id, draft.revision, transition)


async def forget_access_failures_on_token_change(
    uow: UnitOfWork, package: Package, content: PackageContent, blocks: Mapping[Step, Block]
) -> bool:
    """When a save changes which secret the package's Hub calls use, forget the resolutions that
    failed for want of access (so they run again with the new token); whether any was forgotten."""
    deploy = blocks.get(Step.DEPLOY)
    if not isinstance(deploy, DeployStepData):
        return False
    if hub_token_secret_name(content) == hub_token_secret_name(content.with_block(Step.DEPLOY, deploy)):
        return False
    stored = without_access_failures(package.facts)
    if stored == package.facts:
        return False
    package.facts = stored
    await uow.packages.save_facts(package.id, stored)
    return True


def without_access_failures(stored: Mapping[str, Any]) -> dict[str, Any]:
    """The stored facts less the failures another token could turn into a result."""
    kept: dict[str, Any] = {}
    for family, entries in stored.items():
        if not isinstance(entries, dict):
            kept[family] = entries
            continue
        kept[family] = {
            key: entry
            for key, entry in entries.items()
            if not (isinstance(entry, dict) and (entry.get("failure") or {}).get("code") in ACCESS_FAILURES)
        }
    return kept
