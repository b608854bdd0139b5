"""Rules of step 4 (deployment target, hardware, budget)."""

from __future__ import annotations

from collections.abc import Iterator

from workflow.core.hardware import FLAVOURS_BY_NAME
from workflow.facts import Facts
from workflow.issues import Issue, IssueCode, Severity
from workflow.rules.checks import REPO_ID, REPO_NAME, Range, check_pattern, check_range, require
from workflow.steps import PackageContent

BUDGET = Range(0, False, 1_000_000, True)
SLEEP_TIME = Range(0, True, 7 * 24 * 3600, True)


def check(content: PackageContent, facts: Facts) -> Iterator[Issue]:
    """Target completeness and syntax; fit and budget wait for the cost estimate."""
    deploy = content.deploy
    yield from require("deploy.target", deploy.target, "The deployment target (HF_SPACE or LOCAL_BUNDLE)")
    yield from check_range("deploy.budgetUsd", deploy.budget_usd, BUDGET)
    yield from check_pattern(
        "deploy.pushTo", deploy.push_to, REPO_ID, IssueCode.PUSH_TO_INVALID, "repository id (owner/name)"
    )
    if deploy.target != "HF_SPACE":
        return
    space = deploy.space
    owner, name, hardware = (space.owner, space.name, space.hardware) if space else (None, None, None)
    yield from require("deploy.space.owner", owner, "The Space owner")
    yield from require("deploy.space.name", name, "The Space name")
    yield from require("deploy.space.hardware", hardware, "The Space hardware")
    yield from require("deploy.hubTokenSecret", deploy.hub_token_secret, "The secret holding the Hub token")
    yield from check_pattern("deploy.space.owner", owner, REPO_NAME, IssueCode.SPACE_OWNER_INVALID, "Space owner")
    yield from check_pattern("deploy.space.name", name, REPO_NAME, IssueCode.SPACE_NAME_INVALID, "Space name")
    yield from check_range("deploy.space.sleepTimeSeconds", space.sleep_time_seconds if space else None, SLEEP_TIME)
    offered = facts.hardware_names if facts.hardware_names is not None else tuple(FLAVOURS_BY_NAME)
    if hardware and hardware not in offered:
        yield Issue(
            "deploy.space.hardware",
            IssueCode.HARDWARE_UNKNOWN,
            f"Unknown hardware flavour {hardware!r}; choose one of {', '.join(offered)}.",
        )
    elif hardware and (facts.estimate_fits is None or hardware not in facts.estimate_fits):
        yield Issue(
            "deploy.space.hardware",
            IssueCode.HARDWARE_FIT_PENDING,
            "Whether the model fits this hardware is checked once the cost estimate is ready.",
            Severity.PENDING,
        )
    elif hardware and facts.estimate_fits is not None and not facts.estimate_fits[hardware]:
        yield Issue(
            "deploy.space.hardware", IssueCode.HARDWARE_TOO_SMALL, f"The training does not fit in {hardware}'s memory."
        )
    if deploy.budget_usd is not None:
        yield Issue(
            "deploy.budgetUsd",
            IssueCode.BUDGET_CHECK_PENDING,
            "The budget is compared with the cost estimate once it is ready.",
            Severity.PENDING,
        )
    if deploy.hub_token_secret and facts.secret_names is None:
        yield Issue(
            "deploy.hubTokenSecret",
            IssueCode.HUB_TOKEN_SECRET_PENDING,
            "The secret is checked once organisation secrets are available.",
            Severity.PENDING,
        )
    elif (
        deploy.hub_token_secret and facts.secret_names is not None and deploy.hub_token_secret not in facts.secret_names
    ):
        yield Issue(
            "deploy.hubTokenSecret",
            IssueCode.HUB_TOKEN_SECRET_MISSING,
            f"The organisation has no secret named {deploy.hub_token_secret!r}.",
        )
