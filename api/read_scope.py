"""Mutations answer only with what they wrote unless the token may read.

A mutation's payload holds the objects it wrote (a package, its draft, a job), and any token
that wrote them sees their own fields. Fields that look other data up (a package's draft or
jobs, a version's base: every resolver that awaits) need the ``read`` scope. A write-only token
asking for one would otherwise get the write committed and a FORBIDDEN in place of its answer
(a client that retries then writes twice); instead the whole operation is refused up front,
before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.field import StrawberryField
from strawberry.types.graphql import OperationType

from workflow.access import Scope


class ReadScopeForResults(SchemaExtension):
    """Refuse, before execution, a mutation from a token without ``read`` that selects a field
    which reads data beyond what the mutation wrote."""

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        actor = getattr(execution.context, "actor_or_none", None)
        if (
            execution.operation_type is OperationType.MUTATION
            and actor is not None
            and not actor.can(Scope.READ)
            and execution.graphql_document is not None
        ):
            reading = _reading_fields(execution.schema._schema, execution.graphql_document)
            if reading:
                names = ", ".join(sorted(reading))
                error = GraphQLError(
                    f"This token lacks the 'read' scope, which reading {names} needs; nothing was done.",
                    extensions={"code": "FORBIDDEN", "requiredScope": Scope.READ.value},
                )
                execution.result = ExecutionResult(data=None, errors=[error])
        yield


def _reading_fields(schema: object, document: object) -> set[str]:
    """``Type.field`` of every selected field that looks data up (a resolver that awaits)."""
    type_info = TypeInfo(schema)  # type: ignore[arg-type]
    found: set[str] = set()

    class Reads(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            parent: GraphQLNamedType | None = type_info.get_parent_type()
            field: GraphQLField | None = type_info.get_field_def()
            if parent is None or field is None or parent.name == "Mutation":
                return
            definition = field.extensions.get("strawberry-definition")
            resolver = definition.base_resolver if isinstance(definition, StrawberryField) else None
            if resolver is not None and resolver.is_async:
                found.add(f"{parent.name}.{node.name.value}")

    visit(document, TypeInfoVisitor(type_info, Reads()))  # type: ignore[arg-type]
    return found
