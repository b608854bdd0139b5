"""An index of each organisation's unfinished jobs: slot counts and the waiting jobs' order.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_index(
        "ix_jobs_org_unfinished",
        "jobs",
        ["organisation_id", "created_at"],
        postgresql_where=sa.text("status IN ('QUEUED', 'RUNNING')"),
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("ix_jobs_org_unfinished", table_name="jobs")
