"""The training a package describes, as the bundle runs it and the estimator sizes it (pure).

Step 2 holds what the user chose (method, precision, optimizer by name, …), partly. This module
turns a complete choice into the concrete run: which dtype the weights are loaded in, whether
mixed precision is on, how a QLoRA base is quantised, which optimizer runs and what state it
keeps, and every default filled in. The bundle renders ``train.yaml`` from a ``TrainingPlan`` and
the estimator sizes memory and time from the same one, so the two can never describe different
trainings (deploy notes: TRL's SFTTrainer loads float32 unless told a dtype; the plan always
tells it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from workflow.steps import ConfigStepData

Method = Literal["FULL", "LORA", "QLORA"]
Trainer = Literal["SFT", "DPO"]
TorchDtype = Literal["bfloat16", "float16", "float32"]
Precision = Literal["bf16", "fp16", "fp32"]

ALL_LINEAR = "all-linear"
DEFAULT_OPTIMIZER = "adamw_torch"
DEFAULT_SEED = 42
DEFAULT_LORA_DROPOUT = 0.05
DEFAULT_DPO_BETA = 0.1

_TORCH_DTYPES: dict[Precision, TorchDtype] = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer by its transformers ``optim`` name and the state it keeps per trainable parameter.

    ``state_values`` is how many tensors of the parameter's shape it keeps (AdamW: 2, first and
    second moments); ``state_bytes`` the bytes of one such value, or ``None`` when the state is
    kept in the parameter's own dtype (torch's AdamW). ``factored`` optimizers (Adafactor) keep
    row and column statistics instead, about nothing per parameter.
    """

    name: str
    state_values: int
    state_bytes: int | None
    needs_bitsandbytes: bool = False
    factored: bool = False


OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.name: spec
    for spec in (
        OptimizerSpec("adamw_torch", 2, None),
        OptimizerSpec("adamw_torch_fused", 2, None),
        OptimizerSpec("adamw_8bit", 2, 1, needs_bitsandbytes=True),
        OptimizerSpec("paged_adamw_8bit", 2, 1, needs_bitsandbytes=True),
        OptimizerSpec("paged_adamw_32bit", 2, 4, needs_bitsandbytes=True),
        OptimizerSpec("adafactor", 0, None, factored=True),
        OptimizerSpec("sgd", 0, None),
    )
}
"""The optimizers a package may name (``config.optimizer``): those the bundle's pinned stack runs."""


@dataclass(frozen=True)
class Quantization:
    """How a QLoRA base model is loaded: 4-bit NF4 with double quantisation, computing in 16 bits."""

    bits: int
    quant_type: str
    double_quant: bool
    compute_dtype: TorchDtype


@dataclass(frozen=True)
class LoraPlan:
    """The adapters: rank, scaling, dropout and the targeted linear modules (``all-linear`` or names).

    PEFT keeps adapter weights in float32 whatever the base's dtype (``autocast_adapter_dtype``);
    on a quantised (QLoRA) base TRL's SFTTrainer then casts them to bfloat16 (QLoRA paper §3).
    """

    r: int
    alpha: float
    dropout: float
    target_modules: tuple[str, ...]

    @property
    def all_linear(self) -> bool:
        """Whether every linear layer of the blocks is adapted."""
        return self.target_modules == (ALL_LINEAR,)


@dataclass(frozen=True)
class TrainingPlan:
    """One concrete fine-tuning run: every value the trainer needs, defaults filled in."""

    method: Method
    trainer: Trainer
    load_dtype: TorchDtype
    """What the (non-quantised) weights are loaded as: ``model_init_kwargs.dtype``."""
    mixed_precision: Literal["bf16", "fp16"] | None
    """The trainer's autocast (``bf16`` / ``fp16`` flags); ``None`` trains in ``load_dtype`` throughout."""
    quantization: Quantization | None
    optimizer: OptimizerSpec
    gradient_checkpointing: bool
    epochs: float
    learning_rate: float
    per_device_batch_size: int
    gradient_accumulation: int
    max_length: int
    warmup_ratio: float
    weight_decay: float
    scheduler: str
    seed: int
    lora: LoraPlan | None
    dpo_beta: float | None

    @property
    def adapter_dtype(self) -> TorchDtype | None:
        """The adapters' dtype (float32, bfloat16 on a QLoRA base; see ``LoraPlan``), ``None`` for a full fine-tune."""
        if self.lora is None:
            return None
        return "bfloat16" if self.quantization is not None else "float32"

    @property
    def trainable_dtype(self) -> TorchDtype:
        """The dtype of what the optimizer updates (and of its gradients)."""
        return self.adapter_dtype or self.load_dtype

    @property
    def effective_batch_size(self) -> int:
        """Sequences per optimizer step on one device."""
        return self.per_device_batch_size * self.gradient_accumulation

    @property
    def needs_bitsandbytes(self) -> bool:
        """Whether the run needs bitsandbytes (4-bit loading or an 8-bit / paged optimizer)."""
        return self.quantization is not None or self.optimizer.needs_bitsandbytes

    @property
    def reference_model_copy(self) -> bool:
        """Whether DPO holds a second, frozen copy of the weights as its reference model.

        With adapters the reference is the base with the adapters switched off: no copy.
        """
        return self.trainer == "DPO" and self.lora is None


def plan_training(config: ConfigStepData) -> TrainingPlan | None:
    """The run step 2 describes; ``None`` while something it cannot default is missing or invalid.

    Precision decides the loaded dtype and the autocast:
    - ``bf16``: weights loaded in bfloat16 and trained in it (full fine-tune: bf16 weights,
      gradients and optimizer state, no float32 master copy);
    - ``fp16``: a full fine-tune loads float32 weights and autocasts to float16 (pure float16
      weights cannot be unscaled by the gradient scaler); LoRA and QLoRA load the frozen base in
      float16 and train float32 adapters under float16 autocast;
    - ``fp32``: float32 throughout, no autocast.
    QLoRA loads the base in 4-bit NF4 with double quantisation and computes in the precision's
    16-bit dtype (``fp32`` is refused by the rules).
    """
    method, trainer = config.method, config.trainer
    if method is None or trainer is None:
        return None
    if config.epochs is None or config.learning_rate is None or config.batch_size is None:
        return None
    if config.max_seq_length is None:
        return None
    optimizer = OPTIMIZERS.get(config.optimizer or DEFAULT_OPTIMIZER)
    if optimizer is None:
        return None
    precision: Precision = config.precision or "bf16"
    quantization: Quantization | None = None
    lora: LoraPlan | None = None
    if method in ("LORA", "QLORA"):
        settings = config.lora
        if settings is None or settings.r is None:
            return None
        lora = LoraPlan(
            r=settings.r,
            alpha=settings.alpha if settings.alpha is not None else 2.0 * settings.r,
            dropout=settings.dropout if settings.dropout is not None else DEFAULT_LORA_DROPOUT,
            target_modules=tuple(settings.target_modules or (ALL_LINEAR,)),
        )
    if method == "QLORA":
        if precision == "fp32" or (config.quant_bits or 4) != 4:
            return None
        quantization = Quantization(4, "nf4", True, _TORCH_DTYPES[precision])
    load_dtype: TorchDtype
    mixed: Literal["bf16", "fp16"] | None
    if precision == "fp32":
        load_dtype, mixed = "float32", None
    elif precision == "fp16" and method == "FULL":
        load_dtype, mixed = "float32", "fp16"
    else:
        load_dtype, mixed = _TORCH_DTYPES[precision], "bf16" if precision == "bf16" else "fp16"
    return TrainingPlan(
        method=method,
        trainer=trainer,
        load_dtype=load_dtype,
        mixed_precision=mixed,
        quantization=quantization,
        optimizer=optimizer,
        gradient_checkpointing=bool(config.gradient_checkpointing),
        epochs=config.epochs,
        learning_rate=config.learning_rate,
        per_device_batch_size=config.batch_size,
        gradient_accumulation=config.gradient_accumulation or 1,
        max_length=config.max_seq_length,
        warmup_ratio=config.warmup_ratio or 0.0,
        weight_decay=config.weight_decay or 0.0,
        scheduler=config.scheduler or "linear",
        seed=config.seed if config.seed is not None else DEFAULT_SEED,
        lora=lora,
        dpo_beta=DEFAULT_DPO_BETA if trainer == "DPO" else None,
    )


TRAINING_STACK: tuple[tuple[str, str], ...] = (
    ("torch", "2.13.0"),
    ("transformers", "5.24.0"),
    ("trl", "1.16.0"),
    ("peft", "0.21.2"),
    ("datasets", "5.2.0"),
    ("accelerate", "1.15.0"),
    ("tokenizers", "0.23.3"),
    ("safetensors", "0.8.0"),
    ("huggingface_hub", "2.4.0"),
    ("hf-xet", "1.8.0"),
)
"""The packages a bundle trains with: a set installed and run together (deploy notes, section 6).

``torch==2.13.0`` also matches a local ``2.13.0+cpu`` build (PEP 440), so one file serves a GPU
Space and a CPU proof run alike.
"""
BITSANDBYTES = ("bitsandbytes", "0.50.2")
"""Only for runs that need it (4-bit loading, 8-bit or paged optimizers)."""


def requirements(plan: TrainingPlan | None = None) -> list[str]:
    """``name==version`` lines of the stack (with bitsandbytes when ``plan`` needs it), sorted."""
    pins = list(TRAINING_STACK)
    if plan is not None and plan.needs_bitsandbytes:
        pins.append(BITSANDBYTES)
    return sorted(f"{name}=={version}" for name, version in pins)
