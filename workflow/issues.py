"""Validation findings: a stable code, a field path and a human message.

Codes are part of the public API (clients switch on them), so they only ever grow.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class IssueCode(StrEnum):
    """Every validation code trainpack can report."""

    # Shape of the input (refused at save time, nothing stored).
    INVALID_TYPE = "INVALID_TYPE"
    INVALID_CHOICE = "INVALID_CHOICE"
    UNKNOWN_FIELD = "UNKNOWN_FIELD"
    UNKNOWN_PRESET = "UNKNOWN_PRESET"
    INVALID_CHARACTER = "INVALID_CHARACTER"
    CONFLICTING_FIELDS = "CONFLICTING_FIELDS"
    # Completeness and ranges.
    REQUIRED = "REQUIRED"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    TOO_LONG = "TOO_LONG"
    TOO_MANY_ITEMS = "TOO_MANY_ITEMS"
    # Model step.
    MODEL_REPO_ID_INVALID = "MODEL_REPO_ID_INVALID"
    MODEL_REVISION_INVALID = "MODEL_REVISION_INVALID"
    MODEL_RESOLUTION_PENDING = "MODEL_RESOLUTION_PENDING"
    MODEL_LICENCE_UNKNOWN = "MODEL_LICENCE_UNKNOWN"
    # Permanent failures of the resolve-model worker, reported with the worker's own code.
    HUB_NOT_FOUND = "HUB_NOT_FOUND"
    HUB_GATED = "HUB_GATED"
    MODEL_CONFIG_MISSING = "MODEL_CONFIG_MISSING"
    MODEL_CONFIG_INVALID = "MODEL_CONFIG_INVALID"
    MODEL_WEIGHTS_MISSING = "MODEL_WEIGHTS_MISSING"
    LOCAL_PATH_NOT_FOUND = "LOCAL_PATH_NOT_FOUND"
    LOCAL_PATH_FORBIDDEN = "LOCAL_PATH_FORBIDDEN"
    MODEL_RESOLUTION_FAILED = "MODEL_RESOLUTION_FAILED"
    # Config step.
    QLORA_REQUIRES_4BIT = "QLORA_REQUIRES_4BIT"
    QLORA_REQUIRES_HALF_PRECISION = "QLORA_REQUIRES_HALF_PRECISION"
    LORA_SETTINGS_UNUSED = "LORA_SETTINGS_UNUSED"
    MAX_SEQ_LENGTH_EXCEEDS_CONTEXT = "MAX_SEQ_LENGTH_EXCEEDS_CONTEXT"
    CONTEXT_LENGTH_PENDING = "CONTEXT_LENGTH_PENDING"
    TARGET_MODULES_UNKNOWN = "TARGET_MODULES_UNKNOWN"
    TARGET_MODULES_PENDING = "TARGET_MODULES_PENDING"
    # Dataset step.
    DATASET_SOURCE_REQUIRED = "DATASET_SOURCE_REQUIRED"
    DATASET_REPO_ID_INVALID = "DATASET_REPO_ID_INVALID"
    UPLOAD_ID_INVALID = "UPLOAD_ID_INVALID"
    COLUMN_MAPPING_INCOMPLETE = "COLUMN_MAPPING_INCOMPLETE"
    COLUMN_MAPPING_UNUSED_ROLE = "COLUMN_MAPPING_UNUSED_ROLE"
    DATASET_FORMAT_TRAINER_MISMATCH = "DATASET_FORMAT_TRAINER_MISMATCH"
    DATASET_PROFILE_PENDING = "DATASET_PROFILE_PENDING"
    DATASET_PROFILE_FAILED = "DATASET_PROFILE_FAILED"
    DATASET_EMPTY = "DATASET_EMPTY"
    DATASET_FORMAT_INVALID = "DATASET_FORMAT_INVALID"
    DATASET_TOO_LARGE = "DATASET_TOO_LARGE"
    DATASET_ENCODING_INVALID = "DATASET_ENCODING_INVALID"
    DATASET_UNREADABLE = "DATASET_UNREADABLE"
    DATASET_COLUMN_MISSING = "DATASET_COLUMN_MISSING"
    DATASET_COLUMN_KIND_MISMATCH = "DATASET_COLUMN_KIND_MISMATCH"
    DATASET_ROW_MALFORMED = "DATASET_ROW_MALFORMED"
    DATASET_VALUE_MISSING = "DATASET_VALUE_MISSING"
    # Deploy step.
    SPACE_NAME_INVALID = "SPACE_NAME_INVALID"
    SPACE_OWNER_INVALID = "SPACE_OWNER_INVALID"
    HARDWARE_UNKNOWN = "HARDWARE_UNKNOWN"
    HARDWARE_FIT_PENDING = "HARDWARE_FIT_PENDING"
    HARDWARE_TOO_SMALL = "HARDWARE_TOO_SMALL"
    BUDGET_CHECK_PENDING = "BUDGET_CHECK_PENDING"
    HUB_TOKEN_SECRET_PENDING = "HUB_TOKEN_SECRET_PENDING"
    HUB_TOKEN_SECRET_MISSING = "HUB_TOKEN_SECRET_MISSING"
    SECRET_NAME_INVALID = "SECRET_NAME_INVALID"
    PUSH_TO_INVALID = "PUSH_TO_INVALID"
    # Workflow and package level.
    STEP_INCOMPLETE = "STEP_INCOMPLETE"
    NAME_INVALID = "NAME_INVALID"


class Severity(StrEnum):
    """ERROR blocks completion; WARNING never does; PENDING waits for a worker's result."""

    ERROR = "ERROR"
    WARNING = "WARNING"
    PENDING = "PENDING"


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding about one field, e.g. ``config.lora.r`` / ``OUT_OF_RANGE``."""

    path: str
    code: IssueCode
    message: str
    severity: Severity = Severity.ERROR

    def as_dict(self) -> dict[str, str]:
        """The JSON form stored in a step state."""
        return {"path": self.path, "code": self.code.value, "message": self.message}

    @classmethod
    def from_dict(cls, raw: dict[str, str], severity: Severity = Severity.ERROR) -> Issue:
        """Rebuild a stored finding."""
        return cls(path=raw["path"], code=IssueCode(raw["code"]), message=raw["message"], severity=severity)
