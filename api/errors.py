"""The one place where domain exceptions become members of mutation result unions."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from api.types import common
from workflow import errors
from workflow.steps import Step

T = TypeVar("T")


def to_user_error(exc: errors.DomainError, subject: str | None = None) -> common.ErrorMember:
    """The typed GraphQL error for a domain exception; a not-found names ``subject``, the id the
    client sent (services know objects by their internal ids, which clients never see)."""
    match exc:
        case errors.ValidationFailedError():
            return common.ValidationFailed(
                message=exc.message, code="VALIDATION_FAILED", issues=[common.Issue.of(issue) for issue in exc.issues]
            )
        case errors.ChecksPendingError():
            return common.ChecksPending(
                message=exc.message,
                code="CHECKS_PENDING",
                pending=[common.Issue.of(issue) for issue in exc.pending],
                failing=[common.Issue.of(issue) for issue in exc.failing],
            )
        case errors.RevisionConflictError():
            return common.RevisionConflict(
                message=exc.message,
                code="REVISION_CONFLICT",
                expected_revision=exc.expected_revision,
                current_revision=exc.current_revision,
            )
        case errors.NotFoundError() if subject is not None:
            return common.NotFound(message=f"No object with id {subject!r} was found.", code="NOT_FOUND", id=subject)
        case errors.NotFoundError():
            return common.NotFound(message=exc.message, code="NOT_FOUND", id=exc.object_id)
        case errors.ForbiddenError():
            return common.Forbidden(message=exc.message, code="FORBIDDEN", required_scope=exc.required_scope)
        case errors.StepLockedError():
            return common.StepLocked(
                message=exc.message,
                code="STEP_LOCKED",
                step=Step(exc.step),
                blocked_by=[Step(name) for name in exc.blocked_by],
            )
        case errors.VersionImmutableError():
            return common.VersionImmutable(
                message=exc.message, code="VERSION_IMMUTABLE", version_number=exc.version_number
            )
        case errors.NothingToPublishError():
            return common.NothingToPublish(message=exc.message, code="NOTHING_TO_PUBLISH", reason=exc.reason)
        case errors.NameTakenError():
            return common.NameTaken(message=exc.message, code="NAME_TAKEN", name=exc.name)
        case errors.DraftExistsError():
            return common.DraftExists(message=exc.message, code="DRAFT_EXISTS", draft_number=exc.draft_number)
        case errors.IdempotencyKeyReusedError():
            return common.IdempotencyKeyReused(message=exc.message, code="IDEMPOTENCY_KEY_REUSED", key=exc.key)
        case errors.OperationRefusedError():
            return common.OperationRefused(message=exc.message, code=exc.code)
    raise exc


async def attempt(call: Awaitable[T], *, subject: str | None = None) -> T | common.ErrorMember:
    """Await a use case; an expected failure becomes its typed error (the transaction rolled back).

    ``subject`` is the id the client addressed, which a not-found names.
    """
    try:
        return await call
    except errors.DomainError as exc:
        return to_user_error(exc, subject)
