"""Train this package: the bundle's entry point (TRL's SFT or DPO trainer, with PEFT adapters).

It reads ``train.yaml`` (a flat TRL config file: the trainer's config plus TRL's ``ModelConfig``)
and ``datasets.json`` (every dataset pinned to a commit or a file's sha256), loads and maps the
data to the columns the trainer expects, mixes it by weight, trains, saves and pushes when asked.

Progress goes to stdout as one JSON object per line (``{"event": "log", "step": …, "loss": …,
"learning_rate": …, "epoch": …, "tokens_per_second": …}`` per optimizer step, plus ``data``,
``start``, ``eval``, ``summary``, ``saved``, ``pushed``, ``done`` and ``error`` events) for a
follower to read; everything else the libraries print goes to stderr. Evaluation, when the
package has an evaluation split, runs at the end of every epoch and of the training.

Local runs override the bundle's settings with flags (or the environment variables in brackets):

    python train.py --model ./my-model [TRAINPACK_MODEL]      a model folder instead of the Hub
                    --data-dir ./data-root [TRAINPACK_DATA_DIR] where the ``data/`` files live
                    --output-dir ./out [TRAINPACK_OUTPUT_DIR]
                    --max-steps 20 [TRAINPACK_MAX_STEPS]
                    --cpu [TRAINPACK_CPU=1]                   no GPU: mixed precision off
                    --no-push [TRAINPACK_NO_PUSH=1]

The column mapping and mixing functions import nothing heavy, so they can be checked without the
training stack; torch, transformers, trl and datasets are imported inside ``main``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

HERE = Path(__file__).resolve().parent

FORMAT_ROLES: dict[str, tuple[str, ...]] = {
    "CHAT": ("messages",),
    "INSTRUCTION": ("prompt", "completion"),
    "COMPLETION": ("text",),
    "PREFERENCE": ("prompt", "chosen", "rejected"),
}
"""The roles of each dataset format, each mapped to a column of the data by ``columnMapping``."""

TRAINER_FORMATS: dict[str, tuple[str, ...]] = {
    "SFT": ("CHAT", "INSTRUCTION", "COMPLETION"),
    "DPO": ("PREFERENCE",),
}
"""The formats each trainer takes."""

SHAPE_COLUMNS: dict[str, tuple[str, ...]] = {
    "messages": ("messages",),
    "prompt_completion": ("prompt", "completion"),
    "text": ("text",),
    "preference": ("prompt", "chosen", "rejected"),
}
"""The dataset shapes TRL's trainers read, by the columns each one has."""

FILE_BUILDERS = {"JSONL": "json", "CSV": "csv", "PARQUET": "parquet"}

ChatRenderer = Callable[[list[dict[str, str]]], str]


class DataError(ValueError):
    """A row or a source that cannot be fed to the trainer as described."""


# -- column mapping (pure) ---------------------------------------------------------------------


def trainer_shape(trainer: str, formats: Iterable[str]) -> str:
    """The one shape the trainer is fed for a mix of source formats (a mix must share a shape).

    DPO reads preference rows. SFT reads chat ``messages`` when the mix holds chats (instructions
    join as a user and an assistant turn), ``prompt``/``completion`` for instructions alone, and
    plain ``text`` as soon as completions are mixed in (chats and instructions are then rendered
    with the tokenizer's chat template).
    """
    kinds = set(formats)
    if not kinds:
        raise DataError("There is no dataset source.")
    allowed = set(TRAINER_FORMATS.get(trainer, ()))
    if not kinds <= allowed:
        raise DataError(f"The {trainer} trainer cannot take {', '.join(sorted(kinds - allowed))} data.")
    if trainer == "DPO":
        return "preference"
    if "COMPLETION" in kinds:
        return "text"
    if "CHAT" in kinds:
        return "messages"
    return "prompt_completion"


def messages_of(value: Any) -> list[dict[str, str]]:
    """A chat as a list of ``{"role", "content"}`` (a JSON string, as CSV holds it, is decoded)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise DataError("A chat column holds text that is not a JSON list of messages.") from None
    if not isinstance(value, list) or not value:
        raise DataError("A chat must be a non-empty list of messages.")
    chat: list[dict[str, str]] = []
    for message in value:
        if not isinstance(message, Mapping):
            raise DataError("Each chat message must be an object with a role and a content.")
        role, content = message.get("role"), message.get("content")
        if not isinstance(role, str) or not isinstance(content, str):
            raise DataError("Each chat message needs a string role and a string content.")
        chat.append({"role": role, "content": content})
    return chat


def map_row(
    row: Mapping[str, Any],
    fmt: str,
    mapping: Mapping[str, str],
    shape: str,
    render_chat: ChatRenderer | None = None,
) -> dict[str, Any]:
    """One source row as the trainer reads it: the format's roles taken from the mapped columns."""
    values: dict[str, Any] = {}
    for role in FORMAT_ROLES[fmt]:
        column = mapping.get(role)
        if not column:
            raise DataError(f"The {fmt} format needs a column for its {role!r} role.")
        if column not in row or row[column] is None:
            raise DataError(f"A row has no value in column {column!r} (the {role!r} role).")
        values[role] = row[column]
    if fmt == "PREFERENCE":
        if shape != "preference":
            raise DataError("Preference data feeds the DPO trainer only.")
        return {role: values[role] for role in ("prompt", "chosen", "rejected")}
    if fmt == "COMPLETION":
        if shape != "text":
            raise DataError("Completion data is fed as text.")
        return {"text": str(values["text"])}
    if fmt == "CHAT":
        chat = messages_of(values["messages"])
    else:
        chat = [
            {"role": "user", "content": str(values["prompt"])},
            {"role": "assistant", "content": str(values["completion"])},
        ]
    if shape == "messages":
        return {"messages": chat}
    if shape == "prompt_completion" and fmt == "INSTRUCTION":
        return {"prompt": str(values["prompt"]), "completion": str(values["completion"])}
    if shape == "text":
        if render_chat is None:
            raise DataError("Mixing chats with completions needs the tokenizer's chat template.")
        return {"text": render_chat(chat)}
    raise DataError(f"{fmt} data cannot be fed as {shape}.")


# -- mixing (pure) -----------------------------------------------------------------------------


def source_rows(
    rows: int,
    *,
    weight: float,
    max_samples: int | None,
    eval_fraction: float | None,
    seed: int,
    index: int,
) -> tuple[list[int], list[int]]:
    """Which rows of one source train (in order, repeated by weight) and which evaluate.

    The source is capped first (a seeded sample of ``max_samples`` rows), then the evaluation
    fraction is held out, then the training rows are weighted: weight 2 repeats every row
    twice, 0.5 keeps a seeded half, 1.5 repeats a seeded half once more. Holding out before
    weighting keeps repeated rows from leaking into the evaluation.
    """
    if weight <= 0 or not math.isfinite(weight):
        raise DataError(f"A mixing weight must be a positive number, not {weight!r}.")
    rng = random.Random(f"{seed}/{index}")
    kept = list(range(rows))
    if max_samples is not None and max_samples < rows:
        kept = sorted(rng.sample(kept, max_samples))
    held: list[int] = []
    if eval_fraction:
        count = min(len(kept) - 1, max(1, round(len(kept) * eval_fraction))) if len(kept) > 1 else 0
        held = sorted(rng.sample(kept, count))
        held_set = set(held)
        kept = [row for row in kept if row not in held_set]
    whole = math.floor(weight)
    extra = round((weight - whole) * len(kept))
    return kept * whole + sorted(rng.sample(kept, extra)), held


# -- options (pure) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """Where the bundle's files are and what a local run overrides."""

    config: Path
    datasets: Path
    data_dir: Path
    model: str | None = None
    output_dir: str | None = None
    max_steps: int | None = None
    cpu: bool = False
    no_push: bool = False


def parse_options(argv: Sequence[str], environ: Mapping[str, str]) -> Options:
    """Command-line flags, falling back to ``TRAINPACK_*`` environment variables."""
    parser = argparse.ArgumentParser(description="Train this package.")
    parser.add_argument("--config", default=str(HERE / "train.yaml"))
    parser.add_argument("--datasets", default=str(HERE / "datasets.json"))
    parser.add_argument("--data-dir", default=environ.get("TRAINPACK_DATA_DIR"))
    parser.add_argument("--model", default=environ.get("TRAINPACK_MODEL"))
    parser.add_argument("--output-dir", default=environ.get("TRAINPACK_OUTPUT_DIR"))
    parser.add_argument("--max-steps", type=int, default=_int_or_none(environ.get("TRAINPACK_MAX_STEPS")))
    parser.add_argument("--cpu", action="store_true", default=_flag(environ.get("TRAINPACK_CPU")))
    parser.add_argument("--no-push", action="store_true", default=_flag(environ.get("TRAINPACK_NO_PUSH")))
    args = parser.parse_args(list(argv))
    datasets = Path(args.datasets)
    return Options(
        config=Path(args.config),
        datasets=datasets,
        data_dir=Path(args.data_dir) if args.data_dir else datasets.parent,
        model=args.model or None,
        output_dir=args.output_dir or None,
        max_steps=args.max_steps,
        cpu=bool(args.cpu),
        no_push=bool(args.no_push),
    )


def apply_overrides(config: Mapping[str, Any], options: Options) -> dict[str, Any]:
    """``train.yaml``'s settings with a local run's overrides applied."""
    result = dict(config)
    if options.model is not None:
        result["model_name_or_path"] = options.model
        result.pop("model_revision", None)
        kwargs = dict(result.get("model_init_kwargs") or {})
        kwargs.pop("revision", None)
        result["model_init_kwargs"] = kwargs
    if options.output_dir is not None:
        result["output_dir"] = options.output_dir
    if options.max_steps is not None:
        result["max_steps"] = options.max_steps
    if options.cpu:
        if result.get("load_in_4bit") or result.get("load_in_8bit"):
            raise DataError("Quantised (QLoRA) loading needs a CUDA GPU; it cannot run with --cpu.")
        if "8bit" in str(result.get("optim", "")):
            raise DataError(f"The {result['optim']} optimizer needs a CUDA GPU; it cannot run with --cpu.")
        # use_cpu alone leaves TRL's bf16 default on; autocast is switched off explicitly.
        result.update(use_cpu=True, bf16=False, fp16=False, dataloader_pin_memory=False)
    if options.no_push:
        result["push_to_hub"] = False
        result.pop("hub_model_id", None)
    return result


def progress_record(
    logs: Mapping[str, Any], *, step: int, epoch: float | None, tokens_per_second: float | None
) -> dict[str, Any]:
    """One progress line from a trainer log: the headline figures, then every other metric."""
    headline = ("loss", "learning_rate")
    event = "log"
    if any(key.startswith("eval_") for key in logs):
        event = "eval"
    elif "train_loss" in logs and "loss" not in logs:
        event = "summary"
    record: dict[str, Any] = {
        "event": event,
        "step": step,
        "epoch": epoch,
        "loss": logs.get("loss", logs.get("eval_loss")),
        "learning_rate": logs.get("learning_rate"),
        "tokens_per_second": tokens_per_second,
    }
    metrics = {key: value for key, value in logs.items() if key not in headline}
    if metrics:
        record["metrics"] = metrics
    return record


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def canonical_adapter_config(folder: Path) -> None:
    """Sort ``target_modules`` in a saved adapter config: PEFT writes ``all-linear``'s set in any order."""
    path = folder / "adapter_config.json"
    if not path.is_file():
        return
    config = json.loads(path.read_text())
    if isinstance(config.get("target_modules"), list):
        config["target_modules"] = sorted(config["target_modules"])
        path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


class Emitter:
    """Writes progress lines (JSON, one per line, flushed) to the stream it was given."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def __call__(self, record: Mapping[str, Any]) -> None:
        self._stream.write(json.dumps(record, default=str, allow_nan=False) + "\n")
        self._stream.flush()


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value else None


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


# -- the run (heavy imports from here on) ------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the training; progress on stdout, everything else on stderr; 0 on success."""
    import os

    options = parse_options(sys.argv[1:] if argv is None else argv, os.environ)
    emit = Emitter(sys.stdout)
    stdout, sys.stdout = sys.stdout, sys.stderr  # library prints must not mix with progress lines
    try:
        _train(options, emit)
    except Exception as error:
        emit({"event": "error", "type": type(error).__name__, "message": str(error)})
        raise
    finally:
        sys.stdout = stdout
    return 0


def _train(options: Options, emit: Emitter) -> None:
    import yaml
    from transformers import AutoTokenizer
    from trl import (
        DPOConfig,
        DPOTrainer,
        ModelConfig,
        SFTConfig,
        SFTTrainer,
        TrlParser,
        get_peft_config,
        get_quantization_config,
    )

    data = json.loads(options.datasets.read_text())
    trainer_kind = data["trainer"]
    config = apply_overrides(yaml.safe_load(options.config.read_text()), options)
    config_class = SFTConfig if trainer_kind == "SFT" else DPOConfig
    training_args, model_args = TrlParser((config_class, ModelConfig)).parse_dict(config)
    model_path = model_args.model_name_or_path
    if str(model_path).startswith("./"):
        model_path = model_args.model_name_or_path = str(options.config.parent / model_path)
    # As TRL's own scripts do: ModelConfig names the revision and dtype the trainer loads.
    init_kwargs = {"revision": model_args.model_revision, "dtype": model_args.dtype}
    init_kwargs.update(training_args.model_init_kwargs or {})
    training_args.model_init_kwargs = init_kwargs
    tokenizer = AutoTokenizer.from_pretrained(model_path, revision=model_args.model_revision)
    shape = trainer_shape(trainer_kind, (source["format"] for source in data["sources"]))
    if shape in ("messages", "text") and tokenizer.chat_template is None and _has_chats(data):
        raise DataError("The model's tokenizer has no chat template, which chat data needs.")

    def render_chat(chat: list[dict[str, str]]) -> str:
        return str(tokenizer.apply_chat_template(chat, tokenize=False))

    train_data, eval_data = _datasets(data, options.data_dir, shape, training_args.seed, render_chat, emit)
    trainer_class = SFTTrainer if trainer_kind == "SFT" else DPOTrainer
    trainer = trainer_class(
        model=model_path,
        args=training_args,
        train_dataset=train_data,
        eval_dataset=eval_data,
        processing_class=tokenizer,
        peft_config=get_peft_config(model_args),
        quantization_config=get_quantization_config(model_args),
    )
    trainer.add_callback(_progress_callback(emit))
    emit({"event": "start", "trainer": trainer_kind, "model": model_path, "max_steps": training_args.max_steps})
    trainer.train()
    output = Path(training_args.output_dir)
    trainer.save_model(str(output))
    canonical_adapter_config(output)
    emit({"event": "saved", "output_dir": str(output), "files": sorted(p.name for p in output.iterdir())})
    if training_args.push_to_hub:
        trainer.push_to_hub()
        emit({"event": "pushed", "repo": training_args.hub_model_id})
    emit({"event": "done", "step": trainer.state.global_step})


def _has_chats(data: Mapping[str, Any]) -> bool:
    return any(source["format"] in ("CHAT", "INSTRUCTION") for source in data["sources"])


def _datasets(
    data: Mapping[str, Any],
    data_dir: Path,
    shape: str,
    seed: int,
    render_chat: ChatRenderer,
    emit: Emitter,
) -> tuple[Any, Any]:
    from datasets import concatenate_datasets, load_dataset

    evaluation = data.get("eval") or {"mode": "NONE"}
    fraction = evaluation.get("fraction") if evaluation.get("mode") == "FRACTION" else None
    trains: list[Any] = []
    evals: list[Any] = []
    for index, source in enumerate(data["sources"]):

        def mapped(split: str | None, source: Mapping[str, Any] = source) -> Any:
            if "file" in source:
                path = data_dir / source["file"]
                if file_sha256(path) != source["sha256"]:
                    raise DataError(f"{source['file']} does not match its sha256 in datasets.json.")
                raw = load_dataset(FILE_BUILDERS[source["fileFormat"]], data_files=str(path), split="train")
            else:
                raw = load_dataset(
                    source["repoId"], name=source.get("subset"), split=split, revision=source["revision"]
                )
            return raw.map(
                lambda row: map_row(row, source["format"], source["columnMapping"], shape, render_chat),
                remove_columns=raw.column_names,
                keep_in_memory=True,
            )

        rows = mapped(source.get("split") or "train")
        train_rows, eval_rows = source_rows(
            len(rows),
            weight=float(source.get("weight") or 1.0),
            max_samples=source.get("maxSamples"),
            eval_fraction=fraction,
            seed=seed,
            index=index,
        )
        trains.append(rows.select(train_rows))
        if eval_rows:
            evals.append(rows.select(eval_rows))
        if evaluation.get("mode") == "SPLIT" and "file" not in source:
            held = mapped(evaluation["split"])
            cap = source.get("maxSamples")
            evals.append(held.select(range(min(len(held), cap))) if cap else held)
        emit({"event": "data", "source": index, "rows": len(rows), "train": len(train_rows), "eval": len(eval_rows)})
    train = concatenate_datasets(trains).shuffle(seed=seed)
    return train, concatenate_datasets(evals) if evals else None


def _progress_callback(emit: Emitter) -> Any:
    from transformers import TrainerCallback

    class Progress(TrainerCallback):  # type: ignore[misc]
        """Emits a progress line for every trainer log, with the token rate since the last one."""

        def __init__(self) -> None:
            self._time = time.monotonic()
            self._tokens = 0

        def on_log(self, args: Any, state: Any, control: Any, logs: Mapping[str, Any] | None = None, **_: Any) -> None:
            now, tokens = time.monotonic(), int(getattr(state, "num_input_tokens_seen", 0) or 0)
            elapsed = now - self._time
            rate = (tokens - self._tokens) / elapsed if tokens > self._tokens and elapsed > 0 else None
            self._time, self._tokens = now, tokens
            emit(progress_record(logs or {}, step=state.global_step, epoch=state.epoch, tokens_per_second=rate))

    return Progress()


if __name__ == "__main__":
    sys.exit(main())
