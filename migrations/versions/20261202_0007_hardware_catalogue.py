"""The Spaces hardware catalogue as last read from the Hub (one row; the default table applies without it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "hardware_catalogue",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("flavour_names", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("flavours", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("notes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_hardware_catalogue_single_row")),
        sa.CheckConstraint("cardinality(flavour_names) > 0", name=op.f("ck_hardware_catalogue_not_empty")),
        sa.CheckConstraint(
            "jsonb_typeof(flavours) = 'array' AND jsonb_array_length(flavours) > 0",
            name=op.f("ck_hardware_catalogue_flavours"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hardware_catalogue")),
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_table("hardware_catalogue")
