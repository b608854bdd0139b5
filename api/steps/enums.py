"""The closed sets of the step data, as GraphQL enums; each value is the stored string."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="Where a model comes from.")
class ModelSource(Enum):
    HUB = "HUB"
    LOCAL = "LOCAL"


@strawberry.enum(description="Which weights a training updates.")
class TrainingMethod(Enum):
    FULL = "FULL"
    LORA = "LORA"
    QLORA = "QLORA"


@strawberry.enum(description="The TRL trainer.")
class Trainer(Enum):
    SFT = "SFT"
    DPO = "DPO"


@strawberry.enum(description="Learning-rate schedule after warm-up.")
class LearningRateScheduler(Enum):
    LINEAR = "linear"
    COSINE = "cosine"
    CONSTANT = "constant"


@strawberry.enum(description="Compute precision of a training.")
class Precision(Enum):
    BF16 = "bf16"
    FP16 = "fp16"
    FP32 = "fp32"


@strawberry.enum(description="Where a dataset source comes from.")
class DatasetSourceKind(Enum):
    HUB = "HUB"
    UPLOAD = "UPLOAD"
    LOCAL = "LOCAL"


@strawberry.enum(
    description=(
        "How examples are shaped: CHAT (messages), INSTRUCTION (prompt, completion), COMPLETION (text), "
        "PREFERENCE (prompt, chosen, rejected)."
    )
)
class DatasetFormat(Enum):
    CHAT = "CHAT"
    INSTRUCTION = "INSTRUCTION"
    COMPLETION = "COMPLETION"
    PREFERENCE = "PREFERENCE"


@strawberry.enum(description="How evaluation data is obtained.")
class EvalMode(Enum):
    NONE = "NONE"
    FRACTION = "FRACTION"
    SPLIT = "SPLIT"


@strawberry.enum(description="Where a published package goes.")
class DeployTarget(Enum):
    HF_SPACE = "HF_SPACE"
    LOCAL_BUNDLE = "LOCAL_BUNDLE"
