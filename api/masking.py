"""Which GraphQL errors a client may read, and what it reads instead of the others."""

from __future__ import annotations

from graphql import GraphQLError

MASKED_MESSAGE = "Internal error; it has been logged."


def is_unexpected(error: GraphQLError) -> bool:
    """Mask errors that came from a bug, keep deliberate GraphQL errors (limits, auth, syntax)."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)
