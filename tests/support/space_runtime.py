"""Scripted Space runtimes for the Hub stand-in: stage sequences, the sha they report, billing.

A Space on the Hub runs each commit through stages (BUILDING → APP_STARTING → RUNNING, or an error
stage). A test scripts them as ``Phase``s, each held for a number of seconds or of runtime reads; the
last phase holds for good. A phase can report the previous commit's sha (the Hub shows the old
build's RUNNING for a while after a push), carry the Hub's ``errorMessage`` and add log lines when it
starts. The run keeps every stage change with its time and the seconds spent in billable stages
(the Hub bills per minute only while a Space starts or runs; building is free).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

BILLABLE_STAGES = frozenset({"APP_STARTING", "RUNNING", "RUNNING_BUILDING", "RUNNING_APP_STARTING"})
HARDWARE_STAGES = BILLABLE_STAGES | {"RUNTIME_ERROR"}
"""Stages in which the Space holds its requested hardware (``hardware.current`` is set)."""


@dataclass(frozen=True)
class Phase:
    """One scripted stage, held for ``seconds`` or ``polls`` runtime reads (neither: for good)."""

    stage: str
    seconds: float | None = None
    polls: int | None = None
    error: str | None = None
    stale: bool = False
    run_logs: tuple[str, ...] = ()
    build_logs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.seconds is not None and self.polls is not None:
            raise ValueError("a phase lasts either some seconds or some polls")


DEFAULT_SCRIPT: tuple[Phase, ...] = (Phase("BUILDING", polls=1), Phase("APP_STARTING", polls=1), Phase("RUNNING"))
"""What a commit with an app goes through unless the test scripts otherwise."""


@dataclass(frozen=True)
class StageChange:
    """A stage the Space entered, when (wall clock, seconds since the epoch) and on which commit."""

    stage: str
    at: float
    sha: str | None


@dataclass
class Run:
    """The progression of one build or restart through its phases (times are ``time.monotonic()``)."""

    phases: tuple[Phase, ...]
    sha: str | None
    previous_sha: str | None
    on_enter: Callable[[Run], None]
    index: int = 0
    entered_at: float = field(default_factory=time.monotonic)
    polls: int = 0

    def __post_init__(self) -> None:
        if not self.phases:
            raise ValueError("a run needs at least one phase")
        self.on_enter(self)

    @property
    def phase(self) -> Phase:
        return self.phases[self.index]

    @property
    def shown_sha(self) -> str | None:
        """The sha the runtime reports: the previous build's while the phase is stale."""
        return self.previous_sha if self.phase.stale else self.sha

    def advance(self, now: float, *, read: bool) -> None:
        """Move through every phase that has run out by ``now``; a runtime ``read`` counts as a poll."""
        while self.index < len(self.phases) - 1:
            phase = self.phase
            if phase.seconds is not None and now - self.entered_at >= phase.seconds:
                self._enter(self.entered_at + phase.seconds)
            elif phase.polls is not None and self.polls >= phase.polls:
                self._enter(now)
            else:
                break
        if read:
            self.polls += 1

    def _enter(self, at: float) -> None:
        self.index += 1
        self.entered_at = at
        self.polls = 0
        self.on_enter(self)


class Timeline:
    """Stage changes and billable seconds across the runs of one Space."""

    def __init__(self) -> None:
        self.changes: list[StageChange] = []
        self.billed_seconds = 0.0
        self._stage: str | None = None
        self._since = time.monotonic()

    def enter(self, stage: str, sha: str | None, at: float) -> None:
        """Record that the Space entered ``stage`` at monotonic time ``at``."""
        if self._stage in BILLABLE_STAGES:
            self.billed_seconds += max(0.0, at - self._since)
        if stage != self._stage:
            self.changes.append(StageChange(stage, _wall(at), sha))
        self._stage, self._since = stage, at

    def billable_seconds(self, now: float) -> float:
        """Seconds spent in billable stages so far, the current stretch included."""
        current = max(0.0, now - self._since) if self._stage in BILLABLE_STAGES else 0.0
        return self.billed_seconds + current


def script(phases: Sequence[Phase | str]) -> tuple[Phase, ...]:
    """Phases from a mix of ``Phase``s and bare stage names (a bare name holds for one poll, the last for good)."""
    built = [item if isinstance(item, Phase) else Phase(item, polls=1) for item in phases]
    if built and not isinstance(phases[-1], Phase):
        built[-1] = Phase(built[-1].stage)
    return tuple(built)


def _wall(monotonic_at: float) -> float:
    return time.time() - (time.monotonic() - monotonic_at)
