"""The publish pipeline's look-ups: each version's newest build, and an organisation's bundles.

The pipeline needs no table: its state is its build job's (``workflow.pipeline``). What it
reads often are an organisation's ``BUILD_PACKAGE`` jobs, by version (``Version.pipeline`` and
``Version.bundle``) and by the bundle they built (every download): this partial index holds
only those rows.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_index(
        "ix_jobs_org_version_builds",
        "jobs",
        ["organisation_id", "version_id", "created_at"],
        postgresql_where=sa.text("kind = 'BUILD_PACKAGE'"),
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("ix_jobs_org_version_builds", table_name="jobs")
