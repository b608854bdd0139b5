"""A per-package revision counter (never reused after a discard); published versions refuse deletes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 00:33:42.736985
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.add_column("packages", sa.Column("revision", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.execute(
        "UPDATE packages SET revision = highest.revision FROM "
        "(SELECT package_id, max(revision) AS revision FROM versions GROUP BY package_id) AS highest "
        "WHERE highest.package_id = packages.id"
    )
    op.execute(
        "CREATE TRIGGER versions_published_undeletable BEFORE DELETE ON versions FOR EACH ROW "
        "WHEN (OLD.status = 'PUBLISHED') EXECUTE FUNCTION refuse_published_version_change()"
    )


def downgrade() -> None:
    """Revert this migration."""
    op.execute("DROP TRIGGER versions_published_undeletable ON versions")
    op.drop_column("packages", "revision")
