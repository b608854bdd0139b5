"""GraphQL types of organisation secrets: what is known of a secret, never its value."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from db.models import OrganisationSecret


@strawberry.type(description="An organisation secret: its name and when and by whom it changed, never its value.")
class Secret:
    name: str
    last_four: str | None = strawberry.field(
        description="The value's last four characters (null for a value under 12 characters)."
    )
    created_at: datetime
    created_by: str = strawberry.field(description="Who created it, e.g. `token:ci`.")
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, row: OrganisationSecret) -> Self:
        """The GraphQL view of a stored secret (its sealed value stays behind)."""
        return cls(
            name=row.name,
            last_four=row.last_four,
            created_at=row.created_at,
            created_by=row.created_by,
            updated_at=row.updated_at,
            updated_by=row.updated_by,
        )
