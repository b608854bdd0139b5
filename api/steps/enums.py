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
    FULL = strawberry.enum_value("FULL", description="Every weight is trained; the most memory.")
    LORA = strawberry.enum_value("LORA", description="Low-rank adapters are trained; the base stays frozen.")
    QLORA = strawberry.enum_value("QLORA", description="LoRA on a 4-bit quantised base; the least memory.")


@strawberry.enum(description="The TRL trainer.")
class Trainer(Enum):
    SFT = strawberry.enum_value("SFT", description="Supervised fine-tuning on CHAT, INSTRUCTION or COMPLETION data.")
    DPO = strawberry.enum_value("DPO", description="Direct preference optimisation on PREFERENCE data.")


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
    NONE = strawberry.enum_value("NONE", description="No evaluation.")
    FRACTION = strawberry.enum_value("FRACTION", description="Hold out `fraction` of the training data.")
    SPLIT = strawberry.enum_value("SPLIT", description="Evaluate on the named `split` of each source.")


@strawberry.enum(description="Where a published package goes.")
class DeployTarget(Enum):
    HF_SPACE = strawberry.enum_value("HF_SPACE", description="Train on a Hugging Face Space (docker SDK).")
    LOCAL_BUNDLE = strawberry.enum_value("LOCAL_BUNDLE", description="Build a bundle to download and run anywhere.")
