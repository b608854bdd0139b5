"""Rules of step 4 (deployment target, hardware, budget).

Hardware fit and budget are judged against the cost estimate of the draft's current inputs
(the estimate-cost job's result): pending until it is in, an error with the job's code when it
could not be made.
"""

from __future__ import annotations

from collections.abc import Iterator

from workflow.core.hardware import FLAVOURS_BY_NAME
from workflow.facts import Facts, FlavourFit
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
        yield from _budget(content, facts)
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
    elif hardware:
        yield from _fit(hardware, facts)
    yield from _budget(content, facts)
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


def _fit(hardware: str, facts: Facts) -> Iterator[Issue]:
    """The chosen flavour against the estimate: fits, too small (both GiB figures), unsuitable,
    or fits while a cheaper one would too (a warning)."""
    estimate = facts.estimate
    if facts.estimate_failure is not None:
        yield _failed("deploy.space.hardware", facts)
        return
    line = estimate.flavours.get(hardware) if estimate is not None else None
    if estimate is None or line is None:
        later = (
            "once the cost estimate is ready."
            if estimate is None
            else "by a new estimate: the catalogue gained it after this one (started when step 4 is saved)."
        )
        yield Issue(
            "deploy.space.hardware",
            IssueCode.HARDWARE_FIT_PENDING,
            f"Whether the model fits this hardware is checked {later}",
            Severity.PENDING,
        )
        return
    if line.too_small:
        yield Issue(
            "deploy.space.hardware",
            IssueCode.HARDWARE_TOO_SMALL,
            f"The training needs {line.peak_gib:.1f} GiB per GPU; {hardware} has {line.memory_gib:.1f} GiB"
            + (f" ({estimate.recommended} fits)." if estimate.recommended else "."),
        )
    elif not line.fits:
        yield Issue("deploy.space.hardware", IssueCode.HARDWARE_UNSUITABLE, line.reason or f"{hardware} cannot run it.")
    elif estimate.recommended and estimate.recommended != hardware:
        cheaper = estimate.flavours[estimate.recommended]
        if _cost(cheaper) < _cost(line):
            yield Issue(
                "deploy.space.hardware",
                IssueCode.CHEAPER_HARDWARE_FITS,
                f"{estimate.recommended} also fits"
                + (f" and costs ${cheaper.usd:.2f} instead of ${line.usd:.2f}." if cheaper.usd and line.usd else "."),
                Severity.WARNING,
            )


def _budget(content: PackageContent, facts: Facts) -> Iterator[Issue]:
    """The budget cap against the estimated cost on the chosen flavour (the recommended one for a
    local bundle); pending while no cost is known (the estimate, or the datasets' profiles, not in)."""
    deploy = content.deploy
    if deploy.budget_usd is None or not BUDGET.holds(deploy.budget_usd):
        return
    chosen = deploy.space.hardware if deploy.target == "HF_SPACE" and deploy.space else None
    offered = facts.hardware_names if facts.hardware_names is not None else tuple(FLAVOURS_BY_NAME)
    if chosen is not None and chosen not in offered:
        return  # HARDWARE_UNKNOWN says it
    if facts.estimate_failure is not None:
        if chosen is None:  # else the hardware rule reports it
            yield _failed("deploy.budgetUsd", facts)
        return
    estimate = facts.estimate
    name = chosen or (estimate.recommended if estimate is not None else None)
    line = estimate.flavours.get(name) if estimate is not None and name else None
    if estimate is not None and name is None:
        return  # nothing fits: the hardware rule says so; there is no cost to compare
    if line is None or line.usd is None:
        yield Issue(
            "deploy.budgetUsd",
            IssueCode.BUDGET_CHECK_PENDING,
            "The budget is compared with the cost estimate once it is ready (it needs every dataset profiled).",
            Severity.PENDING,
        )
    elif line.usd > deploy.budget_usd:
        yield Issue(
            "deploy.budgetUsd",
            IssueCode.BUDGET_EXCEEDED,
            f"The training is estimated at ${line.usd:.2f} on {name}, over the budget cap of ${deploy.budget_usd:.2f}.",
        )


def _failed(path: str, facts: Facts) -> Issue:
    """The estimate job's permanent failure, with its code (a job-level code as ESTIMATE_FAILED)."""
    failure = facts.estimate_failure
    assert failure is not None
    code = IssueCode(failure.code) if failure.code in IssueCode.__members__ else IssueCode.ESTIMATE_FAILED
    return Issue(path, code, failure.message)


def _cost(line: FlavourFit) -> float:
    return line.usd if line.usd is not None else float("inf")
