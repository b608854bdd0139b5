"""GraphQL over HTTP: which media type answers a request, and which results are request errors.

The GraphQL-over-HTTP spec defines ``application/graphql-response+json``: with it, a request
error (the document does not parse or validate, or its variables cannot be coerced, so nothing
executed and there is no ``data``) is a 4xx, while ``application/json`` stays 200 whatever the
errors, as legacy clients expect. A client picks with its ``Accept`` header; one that sends none,
or only wildcards, gets ``application/json``, as the spec recommends while clients migrate.
"""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"
_SERVED = (GRAPHQL_RESPONSE_JSON, APPLICATION_JSON)


def response_media_type(accept: str | None) -> str:
    """The media type to answer in: the served one the ``Accept`` header ranks highest.

    On equal quality ``application/graphql-response+json`` wins (the spec's preferred type);
    wildcards, a missing header and a header naming neither type give ``application/json``.
    """
    best, best_quality = APPLICATION_JSON, 0.0
    for media_range in (accept or "").split(","):
        name, quality = _parse_range(media_range)
        if name in _SERVED and (quality > best_quality or (quality == best_quality and name == GRAPHQL_RESPONSE_JSON)):
            best, best_quality = name, quality
    return best if best_quality > 0 else APPLICATION_JSON


def _parse_range(media_range: str) -> tuple[str, float]:
    """``"application/json;q=0.9"`` → ``("application/json", 0.9)``; a bad ``q`` counts as 0."""
    name, *parameters = (part.strip() for part in media_range.split(";"))
    quality = 1.0
    for parameter in parameters:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "q":
            try:
                quality = min(max(float(value), 0.0), 1.0)
            except ValueError:
                quality = 0.0
    return name.lower(), quality


def is_request_error(result: ExecutionResult) -> bool:
    """Whether ``result`` never reached execution: parsing, validation or variable coercion failed.

    Strawberry marks parse and validation failures as ``PreExecutionError``; graphql-core reports a
    variable that cannot be coerced as ``data`` None with errors that have no field ``path``. A
    field error always has a path, so a null ``data`` from an erroring non-null root field is not
    a request error: it executed, and stays a 200 with ``data: null``.
    """
    if isinstance(result, PreExecutionError):
        return True
    return result.data is None and bool(result.errors) and all(_pathless(error) for error in result.errors or ())


def _pathless(error: GraphQLError) -> bool:
    return not error.path
