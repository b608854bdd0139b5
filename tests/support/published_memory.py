"""Published, measured peak-memory figures of fine-tuning runs, with their exact settings and sources.

The accuracy test and ``python3 run.py bench --only estimate`` hold the estimator against these.
Each case models the source's run with the plan settings that match it; where the source's stack
differs from the bundle's (full float32 logits in older transformers, PEFT's k-bit preparation,
16-bit adapters, another loss), ``stack`` says so explicitly. ``measures`` says what the figure is:
``allocated`` (torch's ``max_memory_allocated``), ``reserved`` (the caching allocator's peak, so
fragmentation included) or ``device`` (the GPU's whole memory: the largest setting that fit).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any, Literal

from workflow.core.architecture import architecture_from_config
from workflow.core.estimate import EstimateInput, estimate
from workflow.core.estimate.memory import Stack
from workflow.core.hardware import GIB
from workflow.core.training import plan_training
from workflow.steps import ConfigStepData

Measure = Literal["allocated", "reserved", "device"]
GB = 1e9 / GIB  # one decimal gigabyte in GiB

LLAMA_2_7B = {
    "model_type": "llama",
    "hidden_size": 4096,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "intermediate_size": 11008,
    "vocab_size": 32000,
    "tie_word_embeddings": False,
}
LLAMA_3_8B = {
    "model_type": "llama",
    "hidden_size": 4096,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "intermediate_size": 14336,
    "vocab_size": 128256,
    "tie_word_embeddings": False,
}
MISTRAL_7B = {
    "model_type": "mistral",
    "hidden_size": 4096,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "intermediate_size": 14336,
    "vocab_size": 32000,
    "tie_word_embeddings": False,
}
PHI_2 = {
    "model_type": "phi",
    "hidden_size": 2560,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "intermediate_size": 10240,
    "vocab_size": 51200,
    "tie_word_embeddings": False,
}
TINY_LLAMA = {
    "model_type": "llama",
    "hidden_size": 2048,
    "num_hidden_layers": 22,
    "num_attention_heads": 32,
    "num_key_value_heads": 4,
    "intermediate_size": 5632,
    "vocab_size": 32000,
    "tie_word_embeddings": False,
}

# Hugging Face + FlashAttention 2 baseline of Unsloth's long-context table: transformers then
# upcast all logits to float32, PEFT kept adapters in float32 and prepare_model_for_kbit_training
# upcast the unquantised weights to float32.
HF_2024 = Stack(loss="logits_fp32", adapter_dtype="float32", upcast_unquantized=True)
# LitGPT's bf16-true runs: adapters in bfloat16, 16-bit logits and a 16-bit cross-entropy.
LITGPT = Stack(loss="logits", adapter_dtype="bfloat16")
# torchtune's bf16 recipes: adapters in bfloat16, logits projected and scored in chunks.
TORCHTUNE = Stack(loss="logits", adapter_dtype="bfloat16")

UNSLOTH = "docs.unsloth.ai/basics/unsloth-benchmarks, 'Llama 3.1 (8B) max. context length', Hugging Face + FA2 column"
LITGPT_TABLE = "github.com/Lightning-AI/litgpt config_hub/finetune/README.md (1xA10G rows; Peak memory = max allocated)"
TORCHTUNE_TABLE = "github.com/pytorch/torchtune README.md 'Memory and training speed' (bs 2, packed 2048, compile)"


@dataclass(frozen=True)
class PublishedCase:
    """One published measurement: the model, the run's settings, the figure and what it measures."""

    name: str
    source: str
    model: dict[str, Any]
    config: dict[str, Any]
    measured_gib: float
    measures: Measure
    stack: Stack = field(default_factory=Stack)

    @property
    def settings(self) -> str:
        """The run's settings in one line."""
        c = self.config
        lora = c.get("lora") or {}
        targets = ",".join(lora.get("targetModules", ["all-linear"])) if lora else ""
        parts = [c["method"], c.get("precision", "bf16"), f"bs {c['batchSize']}", f"seq {c['maxSeqLength']}"]
        if lora:
            parts.append(f"r {lora['r']} {targets}")
        if c.get("gradientCheckpointing"):
            parts.append("ckpt")
        return " ".join(parts)

    def estimated_gib(self) -> float:
        """The estimate of the quantity the source measured."""
        plan = plan_training(
            ConfigStepData.model_validate({"trainer": "SFT", "epochs": 1, "learningRate": 1e-4, **self.config})
        )
        arch = architecture_from_config(self.model)
        assert plan is not None and arch is not None, self.name
        memory = estimate(EstimateInput(arch, plan, stack=self.stack)).memory
        if self.measures == "allocated":
            return memory.device_independent / GIB
        if self.measures == "reserved":
            return memory.device_independent * (1 + self.stack.fragmentation) / GIB
        return memory.total / GIB

    def error(self) -> float:
        """Relative error of the estimate against the figure."""
        return self.estimated_gib() / self.measured_gib - 1


def _lora(r: int, targets: list[str] | None = None, dropout: float = 0.05) -> dict[str, Any]:
    settings: dict[str, Any] = {"r": r, "dropout": dropout}
    if targets:
        settings["targetModules"] = targets
    return settings


def _unsloth(vram_gib: int, context: int) -> PublishedCase:
    return PublishedCase(
        f"Llama-3.1-8B QLoRA fits {vram_gib} GB",
        UNSLOTH,
        LLAMA_3_8B,
        {
            "method": "QLORA",
            "quantBits": 4,
            "batchSize": 1,
            "maxSeqLength": context,
            "gradientCheckpointing": True,
            "lora": _lora(32, dropout=0.0),
        },
        float(vram_gib),
        "device",
        HF_2024,
    )


def _litgpt(name: str, model: dict[str, Any], batch: int, gb: float, lora: dict[str, Any] | None) -> PublishedCase:
    config: dict[str, Any] = {"method": "LORA" if lora else "FULL", "batchSize": batch, "maxSeqLength": 512}
    config["gradientAccumulation"] = max(1, 8 // batch)
    if lora:
        config["lora"] = lora
    method = config["method"]
    return PublishedCase(f"{name} {method} (LitGPT)", LITGPT_TABLE, model, config, gb * GB, "allocated", LITGPT)


QV = ["q_proj", "v_proj"]


CASES: tuple[PublishedCase, ...] = (
    # Unsloth: the longest padded context that fits each GPU with HF + FA2 (r 32 on all linear
    # layers, batch 1, gradient checkpointing as in Unsloth's notebooks): the peak is the GPU's memory.
    _unsloth(16, 2551),
    _unsloth(24, 5789),
    _unsloth(40, 12264),
    _unsloth(48, 15502),
    _unsloth(80, 28454),
    # LitGPT config hub, bf16-true, Alpaca, max_seq_length 512, r 32 alpha 16 dropout 0.05 on
    # query and value (configs llama-2-7b/lora.yaml …), AdamW, global batch 8, no checkpointing.
    # Its QLoRA rows are left out: each equals the model's bf16 weights (Llama-2-7B 13.5 GB →
    # 13.68 GB, Mistral-7B 14.5 → 14.29, Llama-3-8B 16.1 → 17.41), i.e. the peak of loading the
    # checkpoint before quantising it, not of training (the pinned stack quantises while loading).
    _litgpt("Llama-2-7B", LLAMA_2_7B, 2, 19.77, _lora(32, QV)),
    _litgpt("Llama-3-8B", LLAMA_3_8B, 1, 19.73, _lora(32, QV)),
    _litgpt("Mistral-7B", MISTRAL_7B, 2, 20.66, _lora(32, QV)),
    # tiny-llama/lora.yaml and phi-2/lora.yaml adapt every linear layer (and the head, which
    # all-linear leaves out: 1.1 M and 0.4 M parameters); phi-2 with r 8.
    _litgpt("TinyLlama-1.1B", TINY_LLAMA, 8, 13.50, _lora(32)),
    _litgpt("Phi-2", PHI_2, 4, 13.98, _lora(8)),
    _litgpt("TinyLlama-1.1B", TINY_LLAMA, 4, 14.10, None),
    # torchtune llama3_1/8B_lora_single_device and 8B_qlora_single_device on one RTX 4090: r 8,
    # alpha 16, no dropout, LoRA on q, v, output projection and the MLP, activation checkpointing.
    PublishedCase(
        "Llama-3.1-8B LORA (torchtune)",
        TORCHTUNE_TABLE,
        LLAMA_3_8B,
        {
            "method": "LORA",
            "batchSize": 2,
            "maxSeqLength": 2048,
            "gradientCheckpointing": True,
            "lora": _lora(8, ["q_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], 0.0),
        },
        16.2,
        "reserved",
        TORCHTUNE,
    ),
    PublishedCase(
        "Llama-3.1-8B QLORA (torchtune)",
        TORCHTUNE_TABLE,
        LLAMA_3_8B,
        {
            "method": "QLORA",
            "quantBits": 4,
            "batchSize": 2,
            "maxSeqLength": 2048,
            "gradientCheckpointing": True,
            "lora": _lora(8, ["q_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], 0.0),
        },
        7.4,
        "reserved",
        TORCHTUNE,
    ),
)


def accuracy_rows() -> list[dict[str, Any]]:
    """One row per case: name, settings, measured and estimated GiB, relative error, source."""
    return [
        {
            "name": case.name,
            "settings": case.settings,
            "measures": case.measures,
            "measured": case.measured_gib,
            "estimated": case.estimated_gib(),
            "error": case.error(),
            "source": case.source,
        }
        for case in CASES
    ]


def median_absolute_error(rows: list[dict[str, Any]]) -> float:
    """The median of the cases' absolute relative errors."""
    return float(statistics.median(abs(float(row["error"])) for row in rows))


def format_table(rows: list[dict[str, Any]]) -> str:
    """The accuracy table as text."""
    lines = [f"{'case':<36} {'settings':<46} {'measures':<9} {'measured':>9} {'estimate':>9} {'error':>7}"]
    for row in rows:
        lines.append(
            f"{row['name']:<36} {row['settings']:<46} {row['measures']:<9} {row['measured']:>7.2f}Gi "
            f"{row['estimated']:>7.2f}Gi {row['error']:>+7.1%}"
        )
    lines.append(f"median absolute error {median_absolute_error(rows):.1%} over {len(rows)} cases")
    return "\n".join(lines)
