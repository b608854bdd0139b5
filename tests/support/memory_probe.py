"""Measure the peak memory of real training steps on the CPU (run by the training environment's Python).

``python memory_probe.py '<json>'`` builds a randomly initialised Llama decoder of the given
dimensions in the plan's dtype, applies what the bundle's stack applies (TRL's fused LM head, PEFT
LoRA on all linear layers, checkpointing, 16-bit autocast, torch's foreach AdamW as on a GPU), runs
``steps`` optimizer steps and prints one JSON object.

Why resident memory, measured this way: torch's CPU allocator has no peak counter and tracemalloc
does not see it, but every tensor's pages are touched when written, so the process's resident set
is the sum of live tensors plus the interpreter. The kernel's high-water mark (``VmHWM``) is reset
by writing ``5`` to ``/proc/self/clear_refs`` after the model is built, so
``peak - baseline`` is what training added on top of the weights: gradients, optimizer state,
activations and the loss's buffers, the estimate's device-independent terms. Weights are measured
as the resident growth while building the model. One warm-up forward and backward before the
baseline loads the kernels and thread pools, so their one-off allocations are not counted. Run it
with ``MALLOC_MMAP_THRESHOLD_=65536``: glibc then serves every tensor from its own mapping and
returns it to the kernel when freed, so freed memory does not linger in the resident set (with
its default, adaptive threshold the warm-up's freed buffers would stay resident and hide growth).
"""

from __future__ import annotations

import contextlib
import gc
import json
import sys
from pathlib import Path
from typing import Any


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def main(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the steps ``spec`` describes and return the measured bytes."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM
    from trl.trainer.utils import add_fused_lm_head

    torch.manual_seed(0)
    torch.set_num_threads(int(spec.get("threads", 2)))
    dtype = getattr(torch, spec["load_dtype"])
    config = LlamaConfig(
        hidden_size=spec["hidden_size"],
        num_hidden_layers=spec["num_layers"],
        num_attention_heads=spec["num_attention_heads"],
        num_key_value_heads=spec["num_key_value_heads"],
        intermediate_size=spec["intermediate_size"],
        vocab_size=spec["vocab_size"],
        max_position_embeddings=spec["sequence"],
        tie_word_embeddings=False,
    )
    gc.collect()
    before = _status("VmRSS")
    model = LlamaForCausalLM._from_config(config, dtype=dtype)
    add_fused_lm_head(model, outputs=("log_probs", "entropy", "is_top1"))
    if spec.get("lora_r"):
        lora = LoraConfig(
            r=spec["lora_r"],
            lora_alpha=2 * spec["lora_r"],
            lora_dropout=spec.get("lora_dropout", 0.05),
            target_modules="all-linear",
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(model, lora)
    if spec.get("gradient_checkpointing"):
        model.gradient_checkpointing_enable()
        if spec.get("lora_r"):
            model.enable_input_require_grads()
    model.train()
    weights = _status("VmRSS") - before
    parameters = sum(p.numel() for p in model.parameters())
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4, foreach=True)
    autocast_dtype = spec.get("autocast")
    autocast = (
        torch.autocast("cpu", dtype=getattr(torch, autocast_dtype)) if autocast_dtype else contextlib.nullcontext()
    )
    ids = torch.randint(0, spec["vocab_size"], (spec["batch_size"], spec["sequence"]))

    def forward_backward() -> float:
        with autocast:
            loss = model(input_ids=ids, labels=ids, fused_lm_head=True).loss
        loss.backward()
        return float(loss.detach())

    forward_backward()  # warm-up: kernels, thread pools; its gradients are dropped
    optimizer.zero_grad(set_to_none=True)
    gc.collect()
    baseline = _status("VmRSS")
    _reset_peak()
    losses = []
    for _ in range(int(spec.get("steps", 2))):
        losses.append(forward_backward())
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    peak = _status("VmHWM")
    return {
        "parameters": parameters,
        "trainable": sum(p.numel() for p in trainable),
        "weights_bytes": weights,
        "baseline_bytes": baseline,
        "peak_bytes": peak,
        "training_bytes": peak - baseline,
        "losses": losses,
    }


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
