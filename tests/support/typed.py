"""The typed step API as a client uses it: documents, the test content in typed form, and flows."""

from __future__ import annotations

from typing import Any

from tests.support.content import VALID_STEPS
from tests.support.documents import DRAFT_FIELDS, ERRORS
from tests.support.graphql import Api

# Enum values the JSON form writes in lower case; the typed enums name them in upper case.
_LOWER_ENUMS = ("precision", "scheduler")

CONTENT_FIELDS = """
fragment ContentFields on VersionContent {
  model { source repoId revision path
          resolved { commit parameterCount dtype architecture modelType contextLength licence gated sizeBytes
                     loraTargets parametersByDtype }
          failure { code message } }
  config { preset method trainer epochs learningRate batchSize gradientAccumulation maxSeqLength warmupRatio
           weightDecay scheduler optimizer precision gradientCheckpointing seed quantBits
           lora { r alpha dropout targetModules } }
  dataset { sources { source repoId uploadId path subset split format weight maxSamples
                      columnMapping { messages prompt completion text chosen rejected }
                      profile { rows columns { name kind missing } sample tokens { mean p95 max total } problemCount }
                      failure { code message } }
            eval { mode fraction split } }
  deploy { target hubTokenSecret pushTo budgetUsd space { owner name private hardware sleepTimeSeconds } }
}
"""

TYPED_CREATE = (
    ERRORS
    + """
mutation Create($input: CreatePackageInput!) {
  createPackage(input: $input) {
    __typename
    ... on PackageCreated { package { id name } draft { id number revision } }
    ... on UserError { ...Errors }
  }
}
"""
)

TYPED_SAVE = (
    ERRORS
    + DRAFT_FIELDS
    + CONTENT_FIELDS
    + """
mutation Save($input: SaveDraftInput!) {
  saveDraft(input: $input) {
    ... on DraftUpdated { ...DraftFields version { content { ...ContentFields } } }
    ... on UserError { ...Errors }
  }
}
"""
)

DRAFT_CONTENT = (
    CONTENT_FIELDS
    + """
query Draft($id: ID!) { node(id: $id) { ... on Package {
  draft { revision content { ...ContentFields } steps { step status data } }
} } }
"""
)


def typed(steps: dict[str, Any]) -> dict[str, Any]:
    """JSON-form step data as typed input variables (enum values by their GraphQL names)."""

    def convert(value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {name: convert(item, name) for name, item in value.items()}
        if isinstance(value, list):
            return [convert(item) for item in value]
        if key in _LOWER_ENUMS and isinstance(value, str):
            return value.upper()
        return value

    converted: dict[str, Any] = convert(steps)
    return converted


TYPED_VALID_STEPS = typed(VALID_STEPS)


async def create_typed(api: Api, content: dict[str, Any] | None = None) -> tuple[str, int]:
    """A new package made with typed content; its id and its draft's revision."""
    payload = {"content": content} if content is not None else {}
    created = (await api.execute(TYPED_CREATE, input=payload))["createPackage"]
    assert created["__typename"] == "PackageCreated", created
    return created["package"]["id"], created["draft"]["revision"]


async def save_typed(api: Api, target: str, revision: int, patch: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The saveDraft result of a typed (merging) save."""
    result: dict[str, Any] = (
        await api.execute(TYPED_SAVE, input={"id": target, "expectedRevision": revision, "patch": patch, **extra})
    )["saveDraft"]
    return result


async def draft_content(api: Api, package_id: str) -> dict[str, Any]:
    """The draft's revision, typed content and JSON steps."""
    draft: dict[str, Any] = (await api.execute(DRAFT_CONTENT, id=package_id))["node"]["draft"]
    return draft
