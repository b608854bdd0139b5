"""Translation between stored version rows and the pure ``VersionState``."""

from __future__ import annotations

from datetime import datetime

from db.models import Version
from workflow.hashing import content_hash
from workflow.machine import StepState, VersionState, VersionStatus
from workflow.steps import STEP_ORDER, PackageContent, Step


def state_of(version: Version) -> VersionState:
    """The pure state of a stored version."""
    first, second, third, fourth = (StepState.from_json(version.step_states[step.value]) for step in STEP_ORDER)
    return VersionState(
        status=VersionStatus(version.status),
        content=PackageContent.from_json(version.step_data),
        steps=(first, second, third, fourth),
        current_step=Step(version.current_step),
        revision=version.revision,
        number=version.number,
    )


def write_state(version: Version, state: VersionState) -> None:
    """Copy a state onto a (new or draft) version row."""
    version.status = state.status.value
    version.step_data = state.content.to_json()
    version.step_states = state.states_json()
    version.current_step = state.current_step.value
    version.revision = state.revision
    version.number = state.number
    version.content_hash = content_hash(state.content)


def mark_saved(version: Version, now: datetime, *, autosave: bool) -> None:
    """Stamp the save time the client shows ("saved 10 s ago" / "autosaved")."""
    if autosave:
        version.autosaved_at = now
    else:
        version.saved_at = now
