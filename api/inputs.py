"""Mutation and filter inputs."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from api.steps.inputs import StepsInput
from api.types.common import SaveTrigger, StepName
from api.types.jobs import JobKind
from workflow.drafts import SaveTrigger as DomainSaveTrigger

JSON_STEPS_DEPRECATED = (
    "Use the typed, merging field (`patch` on saveDraft, `content` on createPackage); "
    "this JSON form replaces each named step whole and will be removed."
)


@strawberry.input(description="Filters of the package listing; omitted means either.")
class PackageFilterInput:
    archived: bool | None = strawberry.field(default=False, description="Default: only packages not archived.")
    has_draft: bool | None = None
    search: str | None = strawberry.field(default=None, description="Case-insensitive part of the name.")


@strawberry.input
class CreatePackageInput:
    name: str | None = strawberry.field(default=None, description="Omit to follow the selections automatically.")
    description: str | None = None
    content: StepsInput | None = strawberry.field(default=None, description="Initial step data (typed).")
    steps: JSON | None = strawberry.field(
        default=None,
        description="Initial step data as JSON, keyed by step name.",
        deprecation_reason=JSON_STEPS_DEPRECATED,
    )


@strawberry.input(description="Partial step data to store in the draft; refused only if malformed.")
class SaveDraftInput:
    id: strawberry.ID = strawberry.field(description="A package (its draft, opened if needed) or a draft version.")
    expected_revision: int
    patch: StepsInput | None = strawberry.field(
        default=None, description="The fields to change, merged into the draft, e.g. `{config: {epochs: 3}}`."
    )
    steps: JSON | None = strawberry.field(
        default=None,
        description='Step blocks to replace whole, as JSON, e.g. {"config": {"epochs": 3}}.',
        deprecation_reason=JSON_STEPS_DEPRECATED,
    )
    trigger: SaveTrigger = DomainSaveTrigger.MANUAL  # type: ignore[valid-type]
    idempotency_key: str | None = strawberry.field(default=None, description="Retries with it get the first answer.")
    config_preset: str | None = strawberry.field(default=None, description="Fill step 2 from a named preset first.")


@strawberry.input
class StepActionInput:
    id: strawberry.ID
    expected_revision: int
    step: StepName  # type: ignore[valid-type]


@strawberry.input
class PublishVersionInput:
    id: strawberry.ID
    expected_revision: int
    changelog: str | None = None


@strawberry.input
class DraftInput:
    id: strawberry.ID
    expected_revision: int


@strawberry.input
class RestoreVersionInput:
    version_id: strawberry.ID


@strawberry.input
class RenamePackageInput:
    id: strawberry.ID
    name: str


@strawberry.input
class PackageInput:
    id: strawberry.ID


@strawberry.input(description="A job to start on a package's current content.")
class StartJobInput:
    package_id: strawberry.ID
    kind: JobKind  # type: ignore[valid-type]
    source_index: int | None = strawberry.field(default=None, description="PROFILE_DATASET: which source (0-based).")
    allow_patterns: list[str] | None = strawberry.field(
        default=None, description="DOWNLOAD_MODEL: only files matching these globs (default: safetensors weights)."
    )
    ignore_patterns: list[str] | None = strawberry.field(default=None, description="DOWNLOAD_MODEL: skip these globs.")


@strawberry.input
class JobInput:
    id: strawberry.ID


@strawberry.input(description="A what-if estimate of unsaved values; blanks come from the package, if one is named.")
class TrainingEstimateInput:
    package_id: strawberry.ID | None = strawberry.field(
        default=None, description="Use this package's resolved model, profiled datasets and (unless given) step 2."
    )
    config: JSON | None = strawberry.field(
        default=None, description="Step 2 as typed (the saveDraft `config` block), validated by the same rules."
    )
    model_config: JSON | None = strawberry.field(
        default=None, description="A model's config.json, for a model that is in no package."
    )
    parameters: float | None = strawberry.field(
        default=None, description="The model's parameter count (default: from the weights, else the config)."
    )
    tokens: float | None = strawberry.field(
        default=None, description="Tokens of the whole run, epochs included (default: from the profiled datasets)."
    )


@strawberry.input(description="Create or replace an organisation secret (needs the `admin` scope).")
class SetSecretInput:
    name: str = strawberry.field(description="An environment variable's name, e.g. `HF_TOKEN`.")
    value: str = strawberry.field(description="Stored encrypted; never shown again (only its last four characters).")


@strawberry.input(description="Delete an organisation secret (needs the `admin` scope).")
class DeleteSecretInput:
    name: str


@strawberry.input(description="A published version whose FAILED build should run again.")
class RetryBuildInput:
    version_id: strawberry.ID
