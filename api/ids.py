"""Relay global ids: ``base64("Type:uuid")``, decoded leniently into typed references."""

from __future__ import annotations

import uuid

from strawberry.relay import GlobalID

from workflow.errors import NotFoundError
from workflow.targets import PackageRef, Target, VersionRef


def encode(type_name: str, object_id: uuid.UUID) -> str:
    """The global id of an object."""
    return str(GlobalID(type_name, str(object_id)))


def decode(raw: str, *allowed: str) -> tuple[str, uuid.UUID]:
    """``(type name, uuid)`` of a global id; anything malformed or of another type is not found."""
    try:
        global_id = GlobalID.from_id(raw)
        object_id = uuid.UUID(global_id.node_id)
    except (ValueError, TypeError):
        raise NotFoundError(raw) from None
    if global_id.type_name not in allowed:
        raise NotFoundError(raw)
    return global_id.type_name, object_id


def decode_target(raw: str) -> Target:
    """A write's target: a package (its draft) or a specific draft version."""
    type_name, object_id = decode(raw, "Package", "Version")
    return PackageRef(object_id) if type_name == "Package" else VersionRef(object_id)


def parse_uuid(raw: str) -> uuid.UUID | None:
    """The uuid inside a node id, or ``None`` when malformed (answers as not found)."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None
