"""Domain exceptions raised by the workflow core and its services.

The transport maps each one to a member of a mutation's result union in a single place
(``api/errors.py``), so services and pure rules stay free of GraphQL concerns.
"""

from __future__ import annotations

from collections.abc import Sequence

from workflow.issues import Issue


class DomainError(Exception):
    """An expected failure of a use case: it changes nothing and is reported as data."""

    message: str = "The request could not be carried out."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        if message:
            self.message = message


class NotFoundError(DomainError):
    """The object does not exist, or belongs to another organisation (indistinguishable)."""

    def __init__(self, object_id: str, message: str | None = None) -> None:
        super().__init__(message or f"No object with id {object_id!r} was found.")
        self.object_id = object_id


class ForbiddenError(DomainError):
    """The token lacks the scope the operation needs."""

    def __init__(self, required_scope: str) -> None:
        super().__init__(f"This operation needs a token with the {required_scope!r} scope.")
        self.required_scope = required_scope


class ValidationFailedError(DomainError):
    """Input or content broke one or more rules; ``issues`` carries every one of them."""

    def __init__(self, issues: Sequence[Issue], message: str | None = None) -> None:
        super().__init__(message or "The input is not valid; nothing was changed.")
        self.issues = tuple(issues)


class ChecksPendingError(DomainError):
    """Publishing was refused: checks still wait for a worker's result (``pending``), and maybe
    others fail (``failing``). Pending is not done."""

    def __init__(self, pending: Sequence[Issue], failing: Sequence[Issue]) -> None:
        names = ", ".join(sorted({issue.code.value for issue in pending}))
        super().__init__(f"The draft cannot be published while checks are pending: {names}.")
        self.pending = tuple(pending)
        self.failing = tuple(failing)


class RevisionConflictError(DomainError):
    """The write was based on a revision that is no longer current."""

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"The draft is at revision {current}, not {expected}: reload it and apply your change again.")
        self.expected_revision = expected
        self.current_revision = current


class StepLockedError(DomainError):
    """A step was opened or completed while an earlier step is incomplete."""

    def __init__(self, step: str, blocked_by: Sequence[str]) -> None:
        names = ", ".join(blocked_by)
        super().__init__(f"Step {step!r} is locked until these steps are complete: {names}.")
        self.step = step
        self.blocked_by = tuple(blocked_by)


class VersionImmutableError(DomainError):
    """A write addressed a published version, which never changes."""

    def __init__(self, version_number: int) -> None:
        super().__init__(
            f"Version {version_number} is published and cannot change; edit the package to open a new draft."
        )
        self.version_number = version_number


class NothingToPublishError(DomainError):
    """There is no draft, or the draft's content equals the latest published version."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class NameTakenError(DomainError):
    """Another package of the organisation already has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"The name {name!r} is already used by another package of your organisation.")
        self.name = name


class DraftExistsError(DomainError):
    """A restore was asked for while the package already has a draft."""

    def __init__(self, draft_number: int) -> None:
        super().__init__(f"The package already has a draft (version {draft_number}); publish or discard it first.")
        self.draft_number = draft_number


class IdempotencyKeyReusedError(DomainError):
    """The idempotency key was already used for a different request."""

    def __init__(self, key: str) -> None:
        super().__init__(f"The idempotency key {key!r} was already used for a different request.")
        self.key = key


class OperationRefusedError(DomainError):
    """A well-formed request that the workflow rules do not allow, with a stable code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
