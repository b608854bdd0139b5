"""Event cursors by writing transaction, commit notifications, and the retention horizon.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 23:52:41.193750
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


class Xid8(sa.types.UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id (kept here so the migration never changes with the models)."""

    cache_ok = True

    def get_col_spec(self, **_: object) -> str:
        return "XID8"


# Wake listeners once per committing transaction that wrote events (identical payloads merge).
NOTIFY_ON_EVENTS = """
CREATE FUNCTION notify_event_listeners() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('trainpack_events', '');
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "event_log_horizon",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tx", Xid8(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_event_log_horizon_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_log_horizon")),
    )
    op.add_column("events", sa.Column("tx", Xid8(), server_default=sa.text("pg_current_xact_id()"), nullable=False))
    op.drop_index(op.f("ix_events_org_id"), table_name="events")
    op.drop_index(op.f("ix_events_package_id"), table_name="events")
    op.create_index("ix_events_org_tx_id", "events", ["organisation_id", "tx", "id"], unique=False)
    op.create_index("ix_events_package_tx_id", "events", ["package_id", "tx", "id"], unique=False)
    op.create_index("ix_events_tx_id", "events", ["tx", "id"], unique=False)
    op.execute(NOTIFY_ON_EVENTS)
    op.execute(
        "CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH STATEMENT "
        "EXECUTE FUNCTION notify_event_listeners()"
    )


def downgrade() -> None:
    """Revert this migration."""
    op.execute("DROP TRIGGER events_notify ON events")
    op.execute("DROP FUNCTION notify_event_listeners()")
    op.drop_index("ix_events_tx_id", table_name="events")
    op.drop_index("ix_events_package_tx_id", table_name="events")
    op.drop_index("ix_events_org_tx_id", table_name="events")
    op.create_index(op.f("ix_events_package_id"), "events", ["package_id", "id"], unique=False)
    op.create_index(op.f("ix_events_org_id"), "events", ["organisation_id", "id"], unique=False)
    op.drop_column("events", "tx")
    op.drop_table("event_log_horizon")
