"""Event types of the durable log and the rows that record them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from workflow.access import Actor
from workflow.machine import Transition


class EventType(StrEnum):
    """Every kind of state change recorded in the event log."""

    PACKAGE_CREATED = "PACKAGE_CREATED"
    PACKAGE_RENAMED = "PACKAGE_RENAMED"
    PACKAGE_ARCHIVED = "PACKAGE_ARCHIVED"
    PACKAGE_UNARCHIVED = "PACKAGE_UNARCHIVED"
    PACKAGE_DELETED = "PACKAGE_DELETED"
    DRAFT_OPENED = "DRAFT_OPENED"
    DRAFT_SAVED = "DRAFT_SAVED"
    DRAFT_DISCARDED = "DRAFT_DISCARDED"
    STEP_STATUS_CHANGED = "STEP_STATUS_CHANGED"
    CURRENT_STEP_CHANGED = "CURRENT_STEP_CHANGED"
    VERSION_PUBLISHED = "VERSION_PUBLISHED"
    JOB_CREATED = "JOB_CREATED"
    JOB_PROGRESS = "JOB_PROGRESS"
    JOB_FINISHED = "JOB_FINISHED"
    ESTIMATE_CHANGED = "ESTIMATE_CHANGED"
    SECRET_SET = "SECRET_SET"
    SECRET_DELETED = "SECRET_DELETED"
    PIPELINE_CHANGED = "PIPELINE_CHANGED"


class EventBatch:
    """Events of one unit of work, appended together just before it commits."""

    def __init__(self, actor: Actor) -> None:
        self._actor = actor
        self.rows: list[dict[str, Any]] = []

    def add(self, event_type: EventType, package_id: uuid.UUID, **payload: Any) -> None:
        """Record one event about ``package_id``."""
        self.rows.append(
            {
                "organisation_id": self._actor.organisation_id,
                "package_id": package_id,
                "type": event_type.value,
                "payload": payload,
                "actor": self._actor.label,
            }
        )

    def add_organisation(self, event_type: EventType, **payload: Any) -> None:
        """Record one event about the organisation itself (no package), e.g. a secret set."""
        self.rows.append(
            {
                "organisation_id": self._actor.organisation_id,
                "package_id": None,
                "type": event_type.value,
                "payload": payload,
                "actor": self._actor.label,
            }
        )


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


def status_events(
    events: EventBatch, package_id: uuid.UUID, version_id: uuid.UUID, revision: int, transition: Transition
) -> None:
    """One STEP_STATUS_CHANGED event per step whose status the transition moved."""
    for change in transition.status_changes:
        events.add(
            EventType.STEP_STATUS_CHANGED,
            package_id,
            versionId=str(version_id),
            revision=revision,
            step=change.step.value,
            **{"from": change.before.value},
            to=change.after.value,
            errorCount=change.error_count,
        )
