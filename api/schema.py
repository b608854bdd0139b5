"""The GraphQL schema with its protective extensions (caches, limits, error masking)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import strawberry
from graphql import ExecutionResult, GraphQLError
from starlette.websockets import WebSocket
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from api.live.events import EVENT_TYPES
from api.live.sharing import SharedEventExecutor
from api.masking import MASKED_MESSAGE, is_unexpected
from api.metrics import OperationLabel, record_errors
from api.mutations import Mutation
from api.queries import Query
from api.read_scope import ReadScopeForResults
from api.redaction import redact
from api.subscriptions import Subscription
from api.types.packages import Event, Package
from api.types.versions import Version
from kit.tracing import tracing_enabled
from trainpack.settings import Settings


class SubscriptionsOverWebsockets(SchemaExtension):
    """A subscription sent over plain HTTP gets a clear error instead of running half-way.

    Live events are served over websockets only; strawberry would otherwise execute the
    subscription as a one-shot operation and fail inside it with an internal error.
    """

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        if execution.operation_type is OperationType.SUBSCRIPTION and not isinstance(
            execution.context.request, WebSocket
        ):
            error = GraphQLError(
                "Subscriptions are served over websockets at /graphql (graphql-transport-ws or graphql-ws).",
                extensions={"code": "WEBSOCKET_REQUIRED"},
            )
            execution.result = ExecutionResult(data=None, errors=[error])  # nothing is executed
        yield


class ParsedOnce(ParserCache):
    """strawberry's parser cache, leaving a document that does not parse to strawberry's own parse.

    The cache raises a syntax error from its hook, where a streamed operation (a websocket
    subscribe) does not catch it: the client would get no error at all. Left unset, the document
    is parsed again inside strawberry's handling, which answers the error as the protocol says.
    """

    def on_parse(self) -> Iterator[None]:
        try:
            yield from super().on_parse()
        except GraphQLError:
            yield


class TrainpackSchema(strawberry.Schema):
    """The schema, logging and counting the errors of each answer (``api.metrics.record_errors``)."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        redact(errors, execution_context)
        record_errors(errors)


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema with limits taken from the settings."""
    # Factories: a fresh extension per request. The limit rules are built once: the validation
    # cache keys on the rule classes, and fresh classes per request would never hit it.
    limits = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        lambda: ParsedOnce(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        lambda: AddValidationRules(limits),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        SubscriptionsOverWebsockets,
        ReadScopeForResults,
        OperationLabel,
        lambda: MaskErrors(should_mask_error=is_unexpected, error_message=MASKED_MESSAGE),
    ]
    if tracing_enabled():  # a span per operation and resolver, only where traces are exported
        from strawberry.extensions.tracing import OpenTelemetryExtension

        extensions.append(OpenTelemetryExtension)
    return TrainpackSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Package, Version, Event, *EVENT_TYPES],
        extensions=extensions,
        execution_context_class=SharedEventExecutor,
    )
