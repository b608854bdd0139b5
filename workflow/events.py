"""Event types of the durable log and the rows that record them."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from workflow.access import Actor


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
