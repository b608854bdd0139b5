"""Rules of step 1 (the base model)."""

from __future__ import annotations

from collections.abc import Iterator

from workflow.facts import Facts
from workflow.issues import Issue, IssueCode, Severity
from workflow.rules.checks import GIT_REVISION, REPO_ID, check_pattern, require
from workflow.steps import PackageContent


def check(content: PackageContent, facts: Facts) -> Iterator[Issue]:
    """Syntax and completeness of the model choice; resolution is a worker's job (pending)."""
    model = content.model
    yield from require("model.source", model.source, "The model source (HUB or LOCAL)")
    if model.source == "HUB":
        yield from require("model.repoId", model.repo_id, "The model's repository id")
        yield from check_pattern(
            "model.repoId", model.repo_id, REPO_ID, IssueCode.MODEL_REPO_ID_INVALID, "repository id (owner/name)"
        )
        yield from check_pattern(
            "model.revision", model.revision, GIT_REVISION, IssueCode.MODEL_REVISION_INVALID, "branch, tag or commit"
        )
        target = "model.repoId" if model.repo_id and REPO_ID.fullmatch(model.repo_id) else None
    elif model.source == "LOCAL":
        yield from require("model.path", model.path, "The model directory")
        target = "model.path" if model.path else None
    else:
        target = None
    if target and facts.model_failure is not None:
        failure = facts.model_failure
        code = IssueCode(failure.code) if failure.code in IssueCode.__members__ else IssueCode.MODEL_RESOLUTION_FAILED
        yield Issue(target, code, failure.message)
    elif target and facts.model is not None and not facts.model.licence:
        yield Issue(
            target,
            IssueCode.MODEL_LICENCE_UNKNOWN,
            "The model declares no licence; check that its terms allow fine-tuning.",
            Severity.WARNING,
        )
    elif target and facts.model is None:
        yield Issue(
            target,
            IssueCode.MODEL_RESOLUTION_PENDING,
            "The model has not been resolved yet; its metadata will be checked when it is.",
            Severity.PENDING,
        )
