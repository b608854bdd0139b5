"""Shared GraphQL types: enums, validation issues and the typed errors of mutation results."""

from __future__ import annotations

import strawberry

from workflow import issues as domain_issues
from workflow import machine, steps
from workflow.drafts import SaveTrigger as DomainSaveTrigger

StepName = strawberry.enum(steps.Step, name="StepName", description="The workflow's steps, in order.")
StepStatus = strawberry.enum(machine.StepStatus, name="StepStatus")
VersionStatus = strawberry.enum(machine.VersionStatus, name="VersionStatus")
IssueCode = strawberry.enum(domain_issues.IssueCode, name="IssueCode", description="Stable validation codes.")
Severity = strawberry.enum(domain_issues.Severity, name="Severity")
SaveTrigger = strawberry.enum(DomainSaveTrigger, name="SaveTrigger")


@strawberry.type(description="One finding about one field, e.g. path `config.lora.r`, code `OUT_OF_RANGE`.")
class Issue:
    path: str
    code: IssueCode  # type: ignore[valid-type]
    message: str
    severity: Severity  # type: ignore[valid-type]

    @classmethod
    def of(cls, issue: domain_issues.Issue) -> Issue:
        """The GraphQL form of a domain finding."""
        return cls(path=issue.path, code=issue.code, message=issue.message, severity=issue.severity)


@strawberry.interface(description="An expected failure: nothing was changed.")
class UserError:
    message: str
    code: str


@strawberry.type(description="The input broke one or more rules; `issues` lists every one.")
class ValidationFailed(UserError):
    issues: list[Issue]


@strawberry.type(description="The write was based on a stale revision; reload and reapply.")
class RevisionConflict(UserError):
    expected_revision: int
    current_revision: int


@strawberry.type(description="No such object in your organisation.")
class NotFound(UserError):
    id: str


@strawberry.type(description="The token lacks a scope this operation needs.")
class Forbidden(UserError):
    required_scope: str


@strawberry.type(description="A step cannot be opened or completed before the steps in `blockedBy`.")
class StepLocked(UserError):
    step: StepName  # type: ignore[valid-type]
    blocked_by: list[StepName]  # type: ignore[valid-type]


@strawberry.type(description="The addressed version is published and never changes.")
class VersionImmutable(UserError):
    version_number: int


@strawberry.type(description="There is no draft, or it is identical to the latest published version.")
class NothingToPublish(UserError):
    reason: str


@strawberry.type(description="Another package of the organisation already has this name.")
class NameTaken(UserError):
    name: str


@strawberry.type(description="The package already has a draft.")
class DraftExists(UserError):
    draft_number: int


@strawberry.type(description="The idempotency key was already used for a different request.")
class IdempotencyKeyReused(UserError):
    key: str


@strawberry.type(description="The workflow rules do not allow this operation now; `code` says why.")
class OperationRefused(UserError):
    pass


@strawberry.type(
    description="Checks still wait for a worker's result (`pending`), maybe with others failing (`failing`): "
    "pending is not done, so nothing was published."
)
class ChecksPending(UserError):
    pending: list[Issue]
    failing: list[Issue]


ErrorMember = (
    ValidationFailed
    | ChecksPending
    | RevisionConflict
    | NotFound
    | Forbidden
    | StepLocked
    | VersionImmutable
    | NothingToPublish
    | NameTaken
    | DraftExists
    | IdempotencyKeyReused
    | OperationRefused
)
