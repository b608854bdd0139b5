"""Initial schema: organisations, tokens, packages, versions, events, idempotency.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 23:16:08.662634
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A published version is immutable: the database refuses every update, whatever the caller.
REFUSE_PUBLISHED_CHANGE = """
CREATE FUNCTION refuse_published_version_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'version % is published and cannot change', OLD.id USING ERRCODE = 'P0001';
END
$$
"""


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "organisations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("organisation_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_api_tokens_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_organisation_id"), "api_tokens", ["organisation_id"], unique=False)
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("organisation_id", sa.UUID(), nullable=False),
        sa.Column("package_id", sa.UUID(), nullable=True),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_events_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index("ix_events_org_id", "events", ["organisation_id", "id"], unique=False)
    op.create_index("ix_events_package_id", "events", ["package_id", "id"], unique=False)
    op.create_table(
        "idempotency_records",
        sa.Column("organisation_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_idempotency_records_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", "key", name=op.f("pk_idempotency_records")),
    )
    op.create_table(
        "packages",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("organisation_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_is_custom", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_packages_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packages")),
        sa.UniqueConstraint("organisation_id", "name", name=op.f("uq_packages_organisation_id_name")),
    )
    op.create_index(
        "ix_packages_org_updated",
        "packages",
        ["organisation_id", sa.literal_column("updated_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_table(
        "versions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("package_id", sa.UUID(), nullable=False),
        sa.Column("organisation_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step_data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("step_states", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("current_step", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=80), nullable=False),
        sa.Column("based_on_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("autosaved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=200), nullable=True),
        sa.Column("changelog", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(status = 'PUBLISHED') = (published_at IS NOT NULL)", name=op.f("ck_versions_published_at")
        ),
        sa.CheckConstraint("status IN ('DRAFT', 'PUBLISHED')", name=op.f("ck_versions_status")),
        sa.CheckConstraint("revision >= 1 AND number >= 1", name=op.f("ck_versions_positive")),
        sa.ForeignKeyConstraint(
            ["based_on_id"], ["versions.id"], name=op.f("fk_versions_based_on_id_versions"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_versions_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["package_id"], ["packages.id"], name=op.f("fk_versions_package_id_packages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_versions")),
        sa.UniqueConstraint("package_id", "number", name=op.f("uq_versions_package_id_number")),
    )
    op.create_index(op.f("ix_versions_organisation_id"), "versions", ["organisation_id"], unique=False)
    op.create_index(
        "uq_versions_one_draft", "versions", ["package_id"], unique=True, postgresql_where=sa.text("status = 'DRAFT'")
    )
    op.execute(REFUSE_PUBLISHED_CHANGE)
    op.execute(
        "CREATE TRIGGER versions_published_immutable BEFORE UPDATE ON versions FOR EACH ROW "
        "WHEN (OLD.status = 'PUBLISHED') EXECUTE FUNCTION refuse_published_version_change()"
    )


def downgrade() -> None:
    """Revert this migration."""
    op.execute("DROP TRIGGER versions_published_immutable ON versions")
    op.execute("DROP FUNCTION refuse_published_version_change()")
    op.drop_index("uq_versions_one_draft", table_name="versions", postgresql_where=sa.text("status = 'DRAFT'"))
    op.drop_index(op.f("ix_versions_organisation_id"), table_name="versions")
    op.drop_table("versions")
    op.drop_index("ix_packages_org_updated", table_name="packages")
    op.drop_table("packages")
    op.drop_table("idempotency_records")
    op.drop_index("ix_events_package_id", table_name="events")
    op.drop_index("ix_events_org_id", table_name="events")
    op.drop_table("events")
    op.drop_index(op.f("ix_api_tokens_organisation_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("organisations")
