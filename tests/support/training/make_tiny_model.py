"""Make a tiny, randomly initialised Llama-style model and small datasets for the training proof.

Run with the training environment's Python: ``python make_tiny_model.py OUT_DIR``. It writes
``OUT_DIR/model`` (safetensors weights, a byte-level BPE tokenizer trained on the data with a
chat template) and ``OUT_DIR/data`` (a chat JSONL, an instruction CSV, a preference JSONL), all
from fixed seeds, so every run writes the same files.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from pathlib import Path

ANIMALS = ("cat", "dog", "owl", "fox", "cow", "bee", "elk", "yak", "ant", "eel")
COLOURS = ("black", "brown", "grey", "red", "white", "yellow", "tan", "blue", "green", "pink")
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}{{ eos_token }}"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SPECIAL = ["<|pad|>", "<|bos|>", "<|eos|>", "<|system|>", "<|user|>", "<|assistant|>"]


def rows(seed: int = 0) -> tuple[list[dict[str, object]], list[dict[str, str]], list[dict[str, str]]]:
    """Chats, instructions and preferences with a pattern a tiny model can learn quickly."""
    rng = random.Random(seed)
    chats, instructions, preferences = [], [], []
    for index in range(60):
        animal = ANIMALS[index % len(ANIMALS)]
        colour = COLOURS[index % len(COLOURS)]
        question = f"What colour is the {animal}?"
        answer = f"The {animal} is {colour}."
        chats.append(
            {
                "id": index,
                "conversation": [{"role": "user", "content": question}, {"role": "assistant", "content": answer}],
            }
        )
        count = 2 + index % 6
        instructions.append({"ask": f"Count to {count}.", "reply": " ".join(str(n) for n in range(1, count + 1))})
        noise = " ".join(rng.choice(COLOURS + ANIMALS) for _ in range(4))
        preferences.append({"question": question, "good": f" {answer}", "bad": f" {noise}."})
    return chats, instructions, preferences


def main(out: Path) -> None:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    chats, instructions, preferences = rows()
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "chat.jsonl").write_text("".join(json.dumps(row) + "\n" for row in chats))
    with (data / "instructions.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["ask", "reply"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(instructions)
    (data / "preference.jsonl").write_text("".join(json.dumps(row) + "\n" for row in preferences))

    texts = [m["content"] for row in chats for m in row["conversation"]]  # type: ignore[attr-defined]
    texts += [row["ask"] + " " + row["reply"] for row in instructions]
    texts += [row["bad"] for row in preferences]
    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator(texts, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        pad_token="<|pad|>",
        bos_token="<|bos|>",
        eos_token="<|eos|>",
        model_max_length=256,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    model_dir = out / "model"
    tokenizer.save_pretrained(model_dir)

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=False,
    )
    LlamaForCausalLM(config).save_pretrained(model_dir)
    print(json.dumps({"model": str(model_dir), "files": sorted(p.name for p in model_dir.iterdir())}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
