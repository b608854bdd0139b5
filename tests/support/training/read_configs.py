"""Read rendered ``train.yaml`` files with the pinned TRL's own parser, as ``train.py`` does.

Run with the training environment's Python: ``python read_configs.py SPEC.json``, where the spec
lists ``{"path": …, "trainer": "SFT" | "DPO"}``. Unknown keys make TRL's parser fail (only
``use_cpu`` is added, without which transformers refuses bf16 on a machine with no GPU); for each
file it prints one JSON line with what TRL made of it (the trainer config, the quantisation
config, the LoRA config) for the test to compare with the plan.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def read(path: Path, trainer: str) -> dict[str, Any]:
    """What TRL's config classes hold after parsing ``path`` (no unknown key allowed)."""
    import yaml
    from trl import DPOConfig, ModelConfig, SFTConfig, TrlParser, get_peft_config, get_quantization_config

    config_class = SFTConfig if trainer == "SFT" else DPOConfig
    # This machine has no GPU: transformers refuses bf16/fp16 unless told it runs on the CPU.
    settings = {**yaml.safe_load(path.read_text()), "use_cpu": True}
    training, model = TrlParser((config_class, ModelConfig)).parse_dict(settings, allow_extra_keys=False)
    quantization = get_quantization_config(model)
    peft = get_peft_config(model)
    return {
        "config_class": type(training).__name__,
        "training": {
            name: getattr(training, name)
            for name in (
                "max_length",
                "warmup_steps",
                "learning_rate",
                "num_train_epochs",
                "bf16",
                "fp16",
                "activation_checkpointing",
                "gradient_checkpointing",
                "optim",
                "seed",
                "model_init_kwargs",
                "push_to_hub",
                "beta",
            )
            if hasattr(training, name)
        },
        "model": {"revision": model.model_revision, "dtype": model.dtype, "name": model.model_name_or_path},
        "quantization": None
        if quantization is None
        else {
            "load_in_4bit": quantization.load_in_4bit,
            "quant_type": quantization.bnb_4bit_quant_type,
            "double_quant": quantization.bnb_4bit_use_double_quant,
            "compute_dtype": str(quantization.bnb_4bit_compute_dtype).removeprefix("torch."),
        },
        "peft": None
        if peft is None
        else {
            "r": peft.r,
            "alpha": peft.lora_alpha,
            "dropout": peft.lora_dropout,
            "targets": sorted(peft.target_modules) if isinstance(peft.target_modules, set) else peft.target_modules,
        },
    }


def main(spec: Path) -> None:
    for entry in json.loads(spec.read_text()):
        print(json.dumps(read(Path(entry["path"]), entry["trainer"]), default=str), flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
