"""Which database errors mean "this value cannot be stored" (as opposed to a connection or a bug)."""

from __future__ import annotations

import asyncpg
from sqlalchemy import exc as sqlalchemy_errors


def unstorable(error: BaseException) -> bool:
    """Whether PostgreSQL refused the data itself: text it cannot encode (NUL, a lone surrogate),
    a number out of range, JSON it does not accept. Sending the same values again fails again."""
    if isinstance(error, sqlalchemy_errors.DBAPIError):
        cause = error.orig.__cause__ if error.orig is not None else None
        return isinstance(error, sqlalchemy_errors.DataError) or isinstance(cause, asyncpg.DataError)
    return isinstance(error, asyncpg.DataError | UnicodeEncodeError)
