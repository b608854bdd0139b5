"""Opaque keyset cursors and page-size limits for connections."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

from graphql import GraphQLError

DEFAULT_PAGE_SIZE = 50


def page_size(first: int | None, maximum: int) -> int:
    """The requested page size, refused (not silently clamped) when out of bounds.

    ``first: 0`` is refused too: an empty page that may say more follow gives a client no
    cursor to follow them with.
    """
    size = DEFAULT_PAGE_SIZE if first is None else first
    if size < 1 or size > maximum:
        raise GraphQLError(f"`first` must be between 1 and {maximum}.", extensions={"code": "BAD_PAGE_SIZE"})
    return size


def _encode(kind: str, payload: list[str | int]) -> str:
    return base64.urlsafe_b64encode(json.dumps([kind, *payload]).encode()).decode()


def _decode(cursor: str, kind: str) -> list[str | int]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        raw = None
    if not isinstance(raw, list) or not raw or raw[0] != kind:
        raise _bad_cursor()
    return raw[1:]


def package_cursor(updated_at: datetime, package_id: uuid.UUID) -> str:
    """Cursor of a package in the most-recently-updated ordering."""
    return _encode("p", [updated_at.isoformat(), str(package_id)])


def parse_package_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Keyset position encoded by ``package_cursor``."""
    return _parse_time_and_id(cursor, "p")


def _parse_time_and_id(cursor: str, kind: str) -> tuple[datetime, uuid.UUID]:
    values = _decode(cursor, kind)
    try:
        moment = datetime.fromisoformat(str(values[0]))
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment.astimezone(UTC), uuid.UUID(str(values[1]))
    except (ValueError, IndexError, OverflowError):
        raise _bad_cursor() from None


def job_cursor(created_at: datetime, job_id: uuid.UUID) -> str:
    """Cursor of a job in the newest-first ordering."""
    return _encode("j", [created_at.isoformat(), str(job_id)])


def parse_job_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Keyset position encoded by ``job_cursor``."""
    return _parse_time_and_id(cursor, "j")


def number_cursor(kind: str, number: int) -> str:
    """Cursor of an integer-keyed item (a version number, an event id)."""
    return _encode(kind, [number])


def parse_number_cursor(cursor: str, kind: str) -> int:
    """The integer key encoded by ``number_cursor``."""
    values = _decode(cursor, kind)
    if len(values) != 1 or not _integer(values[0], 2**31):
        raise _bad_cursor()
    return int(values[0])


def event_cursor(tx: int, event_id: int) -> str:
    """Cursor of an event: its position in the delivery order (writing transaction, id)."""
    return _encode("e", [tx, event_id])


def parse_event_cursor(cursor: str) -> tuple[int, int]:
    """The ``(tx, id)`` position encoded by ``event_cursor``."""
    values = _decode(cursor, "e")
    if len(values) != 2 or not all(_integer(value, 2**63) for value in values):
        raise _bad_cursor()
    return int(values[0]), int(values[1])


def _integer(value: object, limit: int) -> bool:
    """A real integer (not a boolean) in ``[0, limit)``."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < limit


def _bad_cursor() -> GraphQLError:
    return GraphQLError("The `after` cursor is not valid here.", extensions={"code": "BAD_CURSOR"})
