"""Peak training memory of one GPU for a ``TrainingPlan`` on a decoder ``Architecture`` (pure).

The model follows what the bundle's pinned stack (TRL 1.16, transformers 5.24, PEFT 0.21, torch
2.13) keeps alive, tensor by tensor, traced on that stack:

- weights in the plan's load dtype; a QLoRA base's block linears in 4-bit NF4 with double-quantised
  constants (4.127 bits a weight, QLoRA §3), the rest in the compute dtype;
- gradients and optimizer state for what trains, in the trainable dtype (torch's AdamW keeps its
  moments in the parameter's dtype; bitsandbytes' 8-bit ones in a byte);
- activations saved for the backward pass, per token and block, from the block's tensors (the
  RMSNorm's float32 upcast, the attention's q/k/v/output with SDPA, which keeps no s×s matrix,
  the gated MLP's four intermediates, each LoRA module's input copy and dropout mask); with
  checkpointing only each block's input plus one block being recomputed;
- the loss head: TRL computes log-probabilities in tiles without materialising the logits (a
  4096-token × 32768-vocabulary tile, a float32 hidden-state gradient, and for a full fine-tune
  a float32 head-weight gradient);
- the optimizer step's temporaries (the foreach AdamW allocates one moment-sized buffer);
- the CUDA context and allocator fragmentation on top.

The peak is the larger of the backward pass (activations alive) and the optimizer step
(gradients alive, activations freed). ``Stack`` holds the few behaviours that differ between this
stack and others (older transformers materialised float32 logits, PEFT's k-bit preparation
upcast the unquantised weights, a CPU keeps dropout noise instead of a byte mask), so a published
figure measured on another stack can be modelled honestly; its defaults are the bundle's stack on
a CUDA GPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from workflow.core.architecture import Architecture, ParameterSplit
from workflow.core.training import TorchDtype, TrainingPlan

BYTES: dict[TorchDtype, int] = {"float32": 4, "float16": 2, "bfloat16": 2}
NF4_BYTES_PER_WEIGHT = 4.127 / 8
"""4 bits plus double-quantised block constants (8-bit absmax per 64, float32 per 256 blocks)."""
LOSS_TILE_TOKENS = 4096
LOSS_TILE_VOCAB = 32768
"""TRL's chunked log-prob kernel projects ``[4096 tokens, 32768 vocabulary]`` tiles."""
PER_TOKEN_LOSS_BYTES = 40
"""Per-token float32 statistics, labels and masks of the loss (log-sum-exp, entropy, target, …)."""
GIB = 1024**3

LossKind = Literal["chunked", "logits_fp32", "logits"]


@dataclass(frozen=True)
class Stack:
    """The training stack's memory-relevant behaviours; the defaults are the bundle's stack on CUDA.

    ``loss``: ``chunked`` (TRL's fused LM head), ``logits_fp32`` (full logits upcast to float32 for
    the cross-entropy, transformers before 4.45 / a plain ``Trainer``), ``logits`` (full logits in
    the compute dtype). ``adapter_dtype`` overrides the plan's. ``upcast_unquantized``: a QLoRA
    base's unquantised weights (embeddings, head, norms) in float32, as PEFT's
    ``prepare_model_for_kbit_training`` does. ``dropout_mask_bytes``: a CUDA dropout keeps a byte
    mask per element; ``None`` keeps the noise in the input's dtype, as torch does on a CPU.
    ``loss_tile_buffers``: float32 tile-sized temporaries of the chunked loss at its peak (none with
    TRL's Triton kernel on a GPU; its torch fallback on a CPU keeps about eight in the backward).
    ``optimizer_step_buffers``: moment-sized temporaries of the optimizer step (``None``: as the
    plan's optimizer does: one for torch's foreach AdamW, none for a fused one).
    ``cuda_context_bytes`` and ``fragmentation`` are the memory outside torch's allocations and the
    allocator's slack (a fraction of the peak).
    """

    loss: LossKind = "chunked"
    adapter_dtype: TorchDtype | None = None
    upcast_unquantized: bool = False
    dropout_mask_bytes: int | None = 1
    loss_tile_buffers: float = 0.0
    optimizer_step_buffers: float | None = None
    cuda_context_bytes: int = GIB // 2
    fragmentation: float = 0.08


DEFAULT_STACK = Stack()
CPU_STACK = Stack(
    dropout_mask_bytes=None, loss_tile_buffers=8.25, optimizer_step_buffers=2, cuda_context_bytes=0, fragmentation=0.0
)
"""The same stack on a CPU (the calibration run): torch's dropout keeps its noise, TRL's loss runs its
torch fallback (8¼ float32 tiles live in the backward: y, z, log p, p, the gradient, the target mask
as float and two products), torch's foreach step on a CPU holds two moment-sized buffers; no CUDA."""


@dataclass(frozen=True)
class MemoryBreakdown:
    """Bytes of one GPU at the training's peak, by term; ``total`` is their sum."""

    weights: float
    adapters: float
    gradients: float
    optimizer: float
    activations: float
    logits: float
    overhead: float
    phase: Literal["backward", "optimizer step"]

    @property
    def total(self) -> float:
        """The peak: every term together."""
        return (
            self.weights
            + self.adapters
            + self.gradients
            + self.optimizer
            + self.activations
            + self.logits
            + self.overhead
        )

    @property
    def device_independent(self) -> float:
        """What any device holds: the peak without the CUDA context and fragmentation."""
        return self.total - self.overhead

    def terms(self) -> dict[str, float]:
        """The terms by name (the ``breakdown`` of an estimate)."""
        return {
            "weights": self.weights,
            "adapters": self.adapters,
            "gradients": self.gradients,
            "optimizer": self.optimizer,
            "activations": self.activations,
            "logits": self.logits,
            "overhead": self.overhead,
        }


def targeted_linears(arch: Architecture, target_modules: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    """The block linears LoRA adapts: all of them for ``all-linear``, else those whose name (or last
    dotted part) is listed."""
    linears = arch.block_linears()
    if target_modules == ("all-linear",):
        return linears
    wanted = set(target_modules)
    return {name: shape for name, shape in linears.items() if name in wanted or name.rsplit(".", 1)[-1] in wanted}


def adapter_parameters(arch: Architecture, plan: TrainingPlan) -> int:
    """LoRA parameters: ``r × (in + out)`` per targeted linear and block."""
    if plan.lora is None:
        return 0
    targets = targeted_linears(arch, plan.lora.target_modules)
    return plan.lora.r * sum(d_in + d_out for d_in, d_out in targets.values()) * arch.num_layers


def adapter_dtype(plan: TrainingPlan, stack: Stack) -> TorchDtype | None:
    """The adapters' dtype: the stack's override, else the plan's."""
    if plan.lora is None:
        return None
    return stack.adapter_dtype or plan.adapter_dtype


def compute_bytes(plan: TrainingPlan) -> int:
    """Bytes of an activation: 2 under 16-bit autocast or a 16-bit model, else 4."""
    return 2 if plan.mixed_precision is not None or plan.load_dtype != "float32" else 4


def residual_bytes(plan: TrainingPlan) -> int:
    """Bytes of the residual stream (the embedding output's dtype, i.e. the loaded dtype)."""
    if plan.quantization is not None:
        return BYTES[plan.quantization.compute_dtype]
    return BYTES[plan.load_dtype]


def block_activation_bytes(arch: Architecture, plan: TrainingPlan, stack: Stack = DEFAULT_STACK) -> float:
    """Bytes one block saves for the backward pass, per token, without checkpointing."""
    h, kv, i = arch.hidden_size, arch.kv_size, arch.intermediate_size
    e, r = compute_bytes(plan), residual_bytes(plan)
    gated = arch.mlp == "gated"
    # Attention with SDPA: query, output, keys and values (twice: before and after the repeat for
    # grouped heads), and the float32 log-sum-exp per head.
    attention = e * (2 * h + 4 * kv) + 4 * arch.num_attention_heads
    if plan.lora is None:
        # Norm weights train: each norm keeps its float32 input and its normalised output.
        norms = 2 * (4 * h + r * h)
        # A float32 residual under 16-bit autocast: each projection saves its own cast of its input.
        casts = e * h * (5 if gated else 4) if r != e else 0
        mlp = e * i * (4 if gated else 2)
        return norms + casts + attention + e * h + mlp
    # Frozen base: the norms keep only their float32 input, the frozen linears nothing; the MLP keeps
    # gate, up and the activation (the product only when the down projection is adapted).
    norms = 2 * 4 * h
    mlp = e * i * (3 if gated else 1)
    return norms + attention + mlp + _adapter_activations(arch, plan, stack, e)


def _adapter_activations(arch: Architecture, plan: TrainingPlan, stack: Stack, e: int) -> float:
    """Per token and block: what each adapted module adds (its input copy, its dropout mask, its rank)."""
    assert plan.lora is not None
    targets = targeted_linears(arch, plan.lora.target_modules)
    dtype = adapter_dtype(plan, stack)
    autocast = plan.mixed_precision is not None
    cast = dtype is not None and BYTES[dtype] != e and autocast
    dropout = plan.lora.dropout > 0
    total = 0.0
    shared_inputs: set[str] = set()
    for name, (d_in, _) in targets.items():
        if cast or dropout:
            total += e * d_in  # its own copy: PEFT's cast to the adapter dtype, or the dropout's output
        else:
            shared_inputs.add(_input_of(name))
        if dropout:
            noise = BYTES[dtype] if cast and dtype is not None else e
            total += d_in * (stack.dropout_mask_bytes if stack.dropout_mask_bytes is not None else noise)
        total += 2 * e * plan.lora.r
    widths = {"normed": arch.hidden_size, "attention": arch.q_size, "mlp": arch.intermediate_size}
    return total + sum(e * widths[kind] for kind in shared_inputs)


def _input_of(module: str) -> str:
    """Which tensor a block linear reads: the normed stream, the attention output, or the MLP product."""
    last = module.rsplit(".", 1)[-1]
    if module in ("o_proj", "attn.c_proj") or last == "o_proj":
        return "attention"
    if module in ("down_proj", "mlp.c_proj"):
        return "mlp"
    return "normed"


@dataclass(frozen=True)
class MemoryInput:
    """What the memory model needs: the shape, the parameters by role, the plan and the longest batch."""

    arch: Architecture
    split: ParameterSplit
    plan: TrainingPlan
    sequence: int
    stack: Stack = DEFAULT_STACK
    gpu_count: int = 1


def peak_memory(data: MemoryInput) -> MemoryBreakdown:
    """The peak bytes of one GPU and their breakdown."""
    arch, split, plan, stack = data.arch, data.split, data.plan, data.stack
    e = compute_bytes(plan)
    tokens = plan.per_device_batch_size * data.sequence * (2 if plan.trainer == "DPO" else 1)
    weights = _weights(split, plan, stack)
    trainable, trainable_bytes = _trainable(arch, split, plan, stack)
    optimizer = plan.optimizer
    state_bytes: float = optimizer.state_bytes if optimizer.state_bytes is not None else trainable_bytes
    state = trainable * optimizer.state_values * state_bytes
    adapters = trainable * trainable_bytes if plan.lora is not None else 0.0
    gradients: float = trainable * trainable_bytes
    # DDP allocates its gradient buckets when it wraps the model: a second copy, alive throughout.
    buckets = gradients if data.gpu_count > 1 else 0.0
    step_buffers = stack.optimizer_step_buffers
    if step_buffers is None:
        step_buffers = 1.0 if optimizer.name == "adamw_torch" else 0.0
    step_temp = trainable * state_bytes * step_buffers
    if optimizer.factored:
        step_temp = 2 * trainable_bytes * max(split.embedding, split.head, 1)
    block = tokens * block_activation_bytes(arch, plan, stack)
    head_saved = tokens * (4 * arch.hidden_size + e * arch.hidden_size + PER_TOKEN_LOSS_BYTES)
    if plan.gradient_checkpointing:
        stored: float = tokens * arch.num_layers * residual_bytes(plan) * arch.hidden_size + head_saved
    else:
        stored = arch.num_layers * block + head_saved
    logits = _loss_head(arch, plan, stack, tokens, e)
    # The loss head's backward comes first, with every stored tensor alive; with checkpointing a
    # block is recomputed later, once the head's buffers are gone.
    recompute = block if plan.gradient_checkpointing and block > logits else 0.0
    activations, logits = (stored + recompute, 0.0) if recompute else (stored, logits)
    accumulated = (gradients if plan.gradient_accumulation > 1 else 0.0) + buckets
    backward = weights + adapters + state + accumulated + activations + logits
    gradients += buckets
    step = weights + adapters + state + gradients + step_temp
    if backward >= step:
        overhead = stack.cuda_context_bytes + stack.fragmentation * backward
        return MemoryBreakdown(weights, adapters, accumulated, state, activations, logits, overhead, "backward")
    overhead = stack.cuda_context_bytes + stack.fragmentation * step
    return MemoryBreakdown(weights, adapters, gradients, state + step_temp, 0.0, 0.0, overhead, "optimizer step")


def _weights(split: ParameterSplit, plan: TrainingPlan, stack: Stack) -> float:
    """The model's weights (a frozen DPO reference copy included), without adapters."""
    rest = split.embedding + split.head + split.other
    if plan.quantization is not None:
        rest_bytes = 4 if stack.upcast_unquantized else BYTES[plan.quantization.compute_dtype]
        weights = split.linear * NF4_BYTES_PER_WEIGHT + rest * rest_bytes
    else:
        weights = float(split.total * BYTES[plan.load_dtype])
        if plan.mixed_precision is not None and plan.load_dtype == "float32":
            weights += split.linear * 2  # autocast's cached 16-bit copies, kept for the backward pass
    return weights * (2 if plan.reference_model_copy else 1)


def _trainable(arch: Architecture, split: ParameterSplit, plan: TrainingPlan, stack: Stack) -> tuple[int, int]:
    """How many parameters train, and the bytes of each."""
    if plan.lora is None:
        return split.total, BYTES[plan.trainable_dtype]
    dtype = adapter_dtype(plan, stack)
    return adapter_parameters(arch, plan), BYTES[dtype or "float32"]


def _loss_head(arch: Architecture, plan: TrainingPlan, stack: Stack, tokens: int, e: int) -> float:
    """The loss head's memory at the start of the backward pass (its transients included)."""
    h, vocab = arch.hidden_size, arch.vocab_size
    head_trains = plan.lora is None
    if stack.loss == "chunked":
        tile_values = min(tokens, LOSS_TILE_TOKENS) * min(vocab, LOSS_TILE_VOCAB)
        tile = tile_values * (e + 4 * stack.loss_tile_buffers)
        grad_hidden = tokens * h * 4
        grad_weight = vocab * h * (4 + BYTES[plan.trainable_dtype]) if head_trains else 0
        return tile + grad_hidden + grad_weight
    # At the start of the backward pass: the logits the model returns, the log-softmax saved for the
    # backward, its incoming gradient and the gradient being computed, each one value per logit.
    per_logit = 4 * 4 if stack.loss == "logits_fp32" else 4 * e
    return tokens * vocab * per_logit
