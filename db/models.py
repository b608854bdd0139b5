"""Typed SQLAlchemy models: the database schema as code (migrations must match it).

Invariants live in the database too, not only in code: one draft per package (partial
unique index), unique version numbers per package, unique package names per organisation,
and a trigger (in the migration) that refuses any change to a published version.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.orm import DeclarativeBase, Mapped, configure_mappers, mapped_column
from sqlalchemy.types import UserDefinedType

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Xid8(UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id, used to order events by their writing transaction."""

    cache_ok = True

    def get_col_spec(self, **_: Any) -> str:
        """The type's name in DDL."""
        return "XID8"


ischema_names["xid8"] = Xid8  # so reflection (and Alembic's comparison) knows the type


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints predictably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSONB, uuid.UUID: UUID(as_uuid=True)}  # noqa: RUF012


def _now() -> Any:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class Organisation(Base):
    """A tenant: every package and token belongs to exactly one."""

    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = _now()


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, the secret is shown once at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    created_at: Mapped[datetime] = _now()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Package(Base):
    """A training package; its content lives in its versions."""

    __tablename__ = "packages"
    __table_args__ = (
        UniqueConstraint("organisation_id", "name"),
        Index("ix_packages_org_updated", "organisation_id", text("updated_at DESC"), text("id DESC")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    name_is_custom: Mapped[bool] = mapped_column(server_default=text("false"))
    # The highest revision any version of the package ever had (discarded drafts included), so
    # a new draft's revisions never repeat ones a stale client may still hold.
    revision: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    description: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = _now()
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = _now()
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What the workers learned about the package's inputs, keyed by the input's fingerprint
    # (see workflow/jobs.py). It sits on the package row, which every write locks and reads
    # anyway, so the rules get their facts without another query on the autosave path.
    facts: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))


class Version(Base):
    """One version of a package: a mutable DRAFT or an immutable PUBLISHED snapshot."""

    __tablename__ = "versions"
    __table_args__ = (
        UniqueConstraint("package_id", "number"),
        Index("uq_versions_one_draft", "package_id", unique=True, postgresql_where=text("status = 'DRAFT'")),
        CheckConstraint("status IN ('DRAFT', 'PUBLISHED')", name="status"),
        CheckConstraint("(status = 'PUBLISHED') = (published_at IS NOT NULL)", name="published_at"),
        CheckConstraint("revision >= 1 AND number >= 1", name="positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    package_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    step_data: Mapped[dict[str, Any]]
    step_states: Mapped[dict[str, Any]]
    current_step: Mapped[str] = mapped_column(String(16))
    revision: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(80))
    based_on_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("versions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = _now()
    created_by: Mapped[str] = mapped_column(String(200))
    saved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    autosaved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(200))
    changelog: Mapped[str | None] = mapped_column(Text)


class Event(Base):
    """The durable event log: one row per state change, written in the change's transaction.

    Events are ordered by ``(tx, id)``: the id of the transaction that wrote them, then their
    own id. Readers only take events whose transaction is older than every transaction still
    running (``pg_snapshot_xmin``), so an event can never appear behind a cursor already handed
    out, even when transactions commit out of id order. An insert trigger (in the migration)
    sends a NOTIFY on ``trainpack_events`` when the transaction commits.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_tx_id", "tx", "id"),
        Index("ix_events_org_tx_id", "organisation_id", "tx", "id"),
        Index("ix_events_package_tx_id", "package_id", "tx", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    tx: Mapped[int] = mapped_column(Xid8, server_default=text("pg_current_xact_id()"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    package_id: Mapped[uuid.UUID | None]
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = _now()


class EventLogHorizon(Base):
    """The cursor of the newest pruned event: resuming from before it needs a resync."""

    __tablename__ = "event_log_horizon"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tx: Mapped[int] = mapped_column(Xid8)
    event_id: Mapped[int] = mapped_column(BigInteger)


class Job(Base):
    """A unit of background work. The row is the truth; the queue message carries only its id."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_package_created", "package_id", text("created_at DESC"), text("id DESC")),
        Index("ix_jobs_org_created", "organisation_id", text("created_at DESC"), text("id DESC")),
        Index("ix_jobs_unfinished", "status", "sent_at", postgresql_where=text("status IN ('QUEUED', 'RUNNING')")),
        # Slots per organisation: its jobs on the queue or running, and its waiting ones in order.
        Index(
            "ix_jobs_org_unfinished",
            "organisation_id",
            "created_at",
            postgresql_where=text("status IN ('QUEUED', 'RUNNING')"),
        ),
        # The publish pipeline's builds, by version and (downloads) by organisation.
        Index(
            "ix_jobs_org_version_builds",
            "organisation_id",
            "version_id",
            "created_at",
            postgresql_where=text("kind = 'BUILD_PACKAGE'"),
        ),
        CheckConstraint("status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')", name="status"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    package_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"))
    version_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("versions.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    input: Mapped[dict[str, Any]]
    input_key: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), server_default="QUEUED")
    progress: Mapped[float] = mapped_column(server_default=text("0"))
    message: Mapped[str] = mapped_column(Text, server_default="")
    result: Mapped[dict[str, Any] | None]
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    cancel_requested: Mapped[bool] = mapped_column(server_default=text("false"))
    created_at: Mapped[datetime] = _now()
    created_by: Mapped[str] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Upload(Base):
    """A dataset file uploaded through the GraphQL multipart request, kept for profiling and bundling."""

    __tablename__ = "uploads"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(16))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = _now()
    created_by: Mapped[str] = mapped_column(String(200))


class OrganisationSecret(Base):
    """A named secret of an organisation (a Hub token, say), only ever stored encrypted.

    ``sealed`` is a Fernet token under ``TRAINPACK_SECRET_KEY``; ``last_four`` is what clients
    are shown of the value (nothing for a short one), as a token's prefix is.
    """

    __tablename__ = "organisation_secrets"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    last_four: Mapped[str | None] = mapped_column(String(4))
    created_at: Mapped[datetime] = _now()
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = _now()
    updated_by: Mapped[str] = mapped_column(String(200))


class IdempotencyRecord(Base):
    """The first answer to a request sent with an idempotency key, replayed on retries."""

    __tablename__ = "idempotency_records"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = _now()


class HardwareCatalogue(Base):
    """The Spaces hardware catalogue last read from the Hub: one row, replaced whole by each refresh.

    Never empty (a check says so): a refresh that read nothing usable stores nothing, and without
    a row the shipped default table applies. ``flavour_names`` repeats the names in order, so the
    rules' check of a chosen flavour reads an array, not the whole document.
    """

    __tablename__ = "hardware_catalogue"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("cardinality(flavour_names) > 0", name="not_empty"),
        CheckConstraint("jsonb_typeof(flavours) = 'array' AND jsonb_array_length(flavours) > 0", name="flavours"),
    )

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    flavour_names: Mapped[list[str]] = mapped_column(ARRAY(Text))
    flavours: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    notes: Mapped[list[str]] = mapped_column(ARRAY(Text))


# Rows read on the hot paths become instances without a query (``db.raw.detached``), which
# needs configured mappers; a worker may build one before its first ORM query would do it.
configure_mappers()
