"""``train.yaml``: the training plan in the pinned TRL's config-file format (flat, TRL CLI style).

One flat mapping of ``SFTConfig`` / ``DPOConfig`` fields and ``ModelConfig`` fields, under the
names TRL 1.16 and transformers 5.24 use: ``max_length`` (not ``max_seq_length``),
``warmup_steps`` below 1 as a ratio (``warmup_ratio`` is gone), ``activation_checkpointing``
(``gradient_checkpointing`` is a deprecated alias), ``dtype``. Every value comes from the
``TrainingPlan``; nothing is re-derived from step 2 here.
"""

from __future__ import annotations

from workflow.core.bundle.inputs import BundleInputs
from workflow.core.bundle.yaml_text import Comment, Entry, Value
from workflow.core.training import ALL_LINEAR, TRAINING_STACK, TrainingPlan

OUTPUT_DIR = "output"
"""Where the trained adapter (or model) is saved, relative to the bundle."""
LOCAL_MODEL_DIR = "./model"
"""Where a LOCAL base model is expected, relative to the bundle (``--model`` overrides it)."""


def trl_version() -> str:
    """The pinned TRL version whose config names this file uses."""
    return dict(TRAINING_STACK)["trl"]


def train_config(inputs: BundleInputs, plan: TrainingPlan) -> list[Entry]:
    """The entries of ``train.yaml``, grouped and commented, in a fixed order."""
    trainer_config = "SFTConfig" if plan.trainer == "SFT" else "DPOConfig"
    entries: list[Entry] = [
        Comment(f"{inputs.package_name} v{inputs.version} ({inputs.content_hash})"),
        Comment(f"TRL {trl_version()} config file: {trainer_config} and ModelConfig fields, read by train.py.", False),
        Comment("Base model"),
        *_model(inputs, plan),
        Comment("Method"),
        *_method(plan),
        Comment("Training"),
        *_training(plan),
        Comment("Evaluation, logging and output"),
        *_output(inputs, plan),
    ]
    return entries


def _model(inputs: BundleInputs, plan: TrainingPlan) -> list[Entry]:
    model = inputs.content.model
    entries: list[Entry] = []
    init_kwargs: dict[str, str] = {"dtype": plan.load_dtype}
    if model.source == "HUB" and model.repo_id:
        entries += [("model_name_or_path", model.repo_id), ("model_revision", inputs.model.resolved_sha)]
        init_kwargs["revision"] = inputs.model.resolved_sha
    else:
        entries.append(("model_name_or_path", LOCAL_MODEL_DIR))
    # ModelConfig's dtype is what TRL's scripts pass on; model_init_kwargs is what the trainer
    # itself reads when given a model id (without it SFTTrainer loads float32).
    entries += [("dtype", plan.load_dtype), ("model_init_kwargs", init_kwargs)]
    return entries


def _method(plan: TrainingPlan) -> list[Entry]:
    lora = plan.lora
    if lora is None:
        return [("use_peft", False)]
    targets: Value = ALL_LINEAR if lora.all_linear else list(lora.target_modules)
    entries: list[Entry] = [
        ("use_peft", True),
        ("lora_task_type", "CAUSAL_LM"),
        ("lora_r", lora.r),
        ("lora_alpha", int(lora.alpha) if float(lora.alpha).is_integer() else lora.alpha),
        ("lora_dropout", lora.dropout),
        ("lora_target_modules", targets),
    ]
    quantization = plan.quantization
    if quantization is not None:
        if quantization.compute_dtype != plan.load_dtype:
            # TRL computes a 4-bit model in ModelConfig.dtype: the two cannot differ in its file.
            raise ValueError("a quantised plan must compute in its load dtype")
        entries += [
            ("load_in_4bit", quantization.bits == 4),
            ("bnb_4bit_quant_type", quantization.quant_type),
            ("use_bnb_nested_quant", quantization.double_quant),
        ]
    return entries


def _training(plan: TrainingPlan) -> list[Entry]:
    entries: list[Entry] = [
        ("num_train_epochs", float(plan.epochs)),
        ("learning_rate", float(plan.learning_rate)),
        ("per_device_train_batch_size", plan.per_device_batch_size),
        ("gradient_accumulation_steps", plan.gradient_accumulation),
        ("max_length", plan.max_length),
        ("warmup_steps", float(plan.warmup_ratio)),
        ("weight_decay", float(plan.weight_decay)),
        ("lr_scheduler_type", plan.scheduler),
        ("optim", plan.optimizer.name),
        ("bf16", plan.mixed_precision == "bf16"),
        ("fp16", plan.mixed_precision == "fp16"),
        ("activation_checkpointing", plan.gradient_checkpointing),
        ("seed", plan.seed),
        ("data_seed", plan.seed),
    ]
    if plan.dpo_beta is not None:
        entries.append(("beta", float(plan.dpo_beta)))
    return entries


def _output(inputs: BundleInputs, plan: TrainingPlan) -> list[Entry]:
    evaluation = inputs.content.dataset.eval
    evaluates = evaluation is not None and evaluation.mode in ("FRACTION", "SPLIT")
    deploy = inputs.content.deploy
    private = deploy.space.private if deploy.space is not None and deploy.space.private is not None else True
    entries: list[Entry] = [
        ("eval_strategy", "epoch" if evaluates else "no"),
        ("per_device_eval_batch_size", plan.per_device_batch_size),
        ("logging_steps", 1),
        ("include_num_input_tokens_seen", True),
        ("disable_tqdm", True),
        ("report_to", "none"),
        ("run_name", f"{inputs.package_name}-v{inputs.version}"),
        ("save_strategy", "no"),
        ("output_dir", OUTPUT_DIR),
    ]
    if deploy.push_to:
        entries += [
            ("push_to_hub", True),
            ("hub_model_id", deploy.push_to),
            ("hub_private_repo", private),
            ("hub_strategy", "end"),
        ]
    else:
        entries.append(("push_to_hub", False))
    return entries
