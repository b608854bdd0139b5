"""Proof that a bundle trains: its ``train.py`` run on the CPU with the pinned training stack.

A tiny randomly initialised Llama-style model and its tokenizer (with a chat template) are made
here, with ``tokenizers``, in the training environment (``tests/support/training_env.py``: a pip
virtual environment of the bundle's own requirements, built once and cached). Each test renders
a bundle, packs, verifies and unpacks it, and runs its ``train.py`` in a subprocess of that
environment (PEFT's FutureWarning stays out of this process): SFT with LoRA on an uploaded chat
JSONL and a Hub dataset, fetching the model and the dataset from the Hub stand-in at their
pinned commits, and DPO with LoRA on an uploaded preference JSONL, offline through the local
overrides.
The loss must fall from the first progress line to the last, and an adapter must be saved.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.bundles import UPLOAD_ID, bundle_inputs, hub_source, model_facts, package_content, unpack, uploaded
from tests.support.hub_standin import HubStandin
from tests.support.training_env import ensure_training_env
from workflow.core.bundle import DatasetPin, HubDatasetPin, archive_digest, pack, render_bundle, verify
from workflow.core.training import plan_training

SCRIPTS = Path(__file__).resolve().parents[1] / "support" / "training"
REPO_ID = "trainpack-tests/tiny-llama"
DATASET_ID = "trainpack-tests/counting"
STEPS = 20
RUN_TIMEOUT = 300


@dataclass(frozen=True)
class Tiny:
    """The made model folder and data files."""

    model: Path
    data: Path


@dataclass(frozen=True)
class Run:
    """One training run: its progress lines, stderr and wall time."""

    records: list[dict[str, Any]]
    stderr: str
    seconds: float
    output: Path

    @property
    def losses(self) -> list[float]:
        return [float(r["loss"]) for r in self.records if r["event"] == "log" and r["loss"] is not None]


@pytest.fixture(scope="module")
def python() -> Path:
    return ensure_training_env()


@pytest.fixture(scope="module")
def tiny(python: Path, tmp_path_factory: pytest.TempPathFactory) -> Tiny:
    folder = tmp_path_factory.mktemp("tiny")
    result = subprocess.run(
        [str(python), str(SCRIPTS / "make_tiny_model.py"), str(folder)],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(folder / "hf")},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return Tiny(model=folder / "model", data=folder / "data")


@dataclass(frozen=True)
class Hub:
    """The stand-in serving the tiny model and an instruction dataset, and their commits."""

    standin: HubStandin
    model_sha: str
    dataset_sha: str


@pytest.fixture(scope="module")
def hub(tiny: Tiny) -> Iterator[Hub]:
    with HubStandin() as standin:
        files = {path.name: path.read_bytes() for path in sorted(tiny.model.iterdir())}
        model_sha = standin.add_model(REPO_ID, files)
        data = {"data/train.csv": (tiny.data / "instructions.csv").read_bytes(), "README.md": b"# Counting\n"}
        yield Hub(standin, model_sha, standin.add_dataset(DATASET_ID, data))


def _train(python: Path, bundle_dir: Path, workdir: Path, flags: list[str], env: dict[str, str]) -> Run:
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    result = subprocess.run(
        [str(python), str(bundle_dir / "train.py"), "--cpu", "--max-steps", str(STEPS), "--no-push", *flags],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env={**os.environ, "HF_HUB_DISABLE_TELEMETRY": "1", "TOKENIZERS_PARALLELISM": "false", **env},
        check=False,
    )
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-4000:]
    records = [json.loads(line) for line in result.stdout.splitlines()]  # every stdout line is a JSON record
    saved = next(r for r in records if r["event"] == "saved")
    return Run(records, result.stderr, seconds, workdir / saved["output_dir"])


def _assert_trained(run: Run, record_property: Any, name: str) -> None:
    losses = run.losses
    assert len(losses) == STEPS
    assert losses[-1] < losses[0], losses
    assert [r["step"] for r in run.records if r["event"] == "log"] == list(range(1, STEPS + 1))
    assert all(r["learning_rate"] is not None and r["epoch"] is not None for r in run.records if r["event"] == "log")
    assert any(r["tokens_per_second"] for r in run.records if r["event"] == "log")
    assert run.records[-1] == {"event": "done", "step": STEPS}
    assert (run.output / "adapter_model.safetensors").stat().st_size > 0
    adapter = json.loads((run.output / "adapter_config.json").read_text())
    assert adapter["target_modules"] == sorted(adapter["target_modules"])
    record_property(f"{name}_loss_first", round(losses[0], 4))
    record_property(f"{name}_loss_last", round(losses[-1], 4))
    record_property(f"{name}_seconds", round(run.seconds, 1))
    print(f"\n{name}: loss {losses[0]:.4f} -> {losses[-1]:.4f} in {STEPS} steps, {run.seconds:.1f} s")


def _unpacked_bundle(inputs: Any, folder: Path) -> Path:
    archive = pack(render_bundle(inputs))
    verify(archive, expected_sha256=archive_digest(archive))
    return unpack(archive, folder)


def test_sft_lora_bundle_trains_on_a_model_and_dataset_from_the_hub_at_their_pinned_commits(
    python: Path, tiny: Tiny, hub: Hub, tmp_path: Path, record_property: Any
) -> None:
    standin = hub.standin
    content = package_content(
        sources=[
            {
                "source": "UPLOAD",
                "uploadId": UPLOAD_ID,
                "format": "CHAT",
                "columnMapping": {"messages": "conversation"},
            },
            {
                "source": "HUB",
                "repoId": DATASET_ID,
                "format": "INSTRUCTION",
                "columnMapping": {"prompt": "ask", "completion": "reply"},
                "weight": 0.5,
                "maxSamples": 40,
            },
        ],
        evaluation={"mode": "FRACTION", "fraction": 0.1},
        config_changes={"learningRate": 5e-3, "batchSize": 8},
        repo_id=REPO_ID,
    )
    pins: list[DatasetPin] = [
        uploaded("chat.jsonl", (tiny.data / "chat.jsonl").read_bytes()),
        HubDatasetPin(hub.dataset_sha),
    ]
    inputs = bundle_inputs(content, pins, model=model_facts(sha=hub.model_sha))
    bundle_dir = _unpacked_bundle(inputs, tmp_path / "bundle")
    standin.clear_log()
    run = _train(
        python, bundle_dir, tmp_path / "elsewhere", [], {"HF_ENDPOINT": standin.url, "HF_HOME": str(tmp_path / "hf")}
    )
    _assert_trained(run, record_property, "sft")
    data = [r for r in run.records if r["event"] == "data"]
    assert [(r["rows"], r["train"], r["eval"]) for r in data] == [(60, 54, 6), (60, 18, 4)]
    assert any(r["event"] == "eval" for r in run.records)
    weights = standin.requests_for(r"/resolve/.*/model\.safetensors$", "GET")
    assert weights and all(f"/resolve/{hub.model_sha}/" in request.path for request in weights)
    data_files = standin.requests_for(rf"^/datasets/{DATASET_ID}/resolve/.*\.csv$", "GET")
    assert data_files and all(f"/resolve/{hub.dataset_sha}/" in request.path for request in data_files)


def test_dpo_lora_bundle_trains_offline_on_a_local_model_folder(
    python: Path, tiny: Tiny, tmp_path: Path, record_property: Any
) -> None:
    source = {
        "source": "UPLOAD",
        "uploadId": UPLOAD_ID,
        "format": "PREFERENCE",
        "columnMapping": {"prompt": "question", "chosen": "good", "rejected": "bad"},
    }
    content = package_content(
        sources=[source], config_changes={"trainer": "DPO", "learningRate": 2e-3, "batchSize": 4}, repo_id=REPO_ID
    )
    pins = [uploaded("preference.jsonl", (tiny.data / "preference.jsonl").read_bytes())]
    bundle_dir = _unpacked_bundle(bundle_inputs(content, pins), tmp_path / "bundle")
    env = {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "TRAINPACK_MODEL": str(tiny.model)}
    run = _train(python, bundle_dir, tmp_path / "run", ["--output-dir", "adapter"], env)
    _assert_trained(run, record_property, "dpo")
    assert run.output == tmp_path / "run" / "adapter"
    assert run.records[0] == {"event": "data", "source": 0, "rows": 60, "train": 60, "eval": 0}


def test_a_broken_dataset_fails_with_an_error_line(python: Path, tiny: Tiny, tmp_path: Path) -> None:
    content = package_content(
        sources=[{"source": "UPLOAD", "uploadId": UPLOAD_ID, "format": "CHAT", "columnMapping": {"messages": "id"}}]
    )
    pins = [uploaded("chat.jsonl", (tiny.data / "chat.jsonl").read_bytes())]
    bundle_dir = _unpacked_bundle(bundle_inputs(content, pins), tmp_path / "bundle")
    result = subprocess.run(
        [
            str(python),
            str(bundle_dir / "train.py"),
            "--cpu",
            "--max-steps",
            "1",
            "--no-push",
            "--model",
            str(tiny.model),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")},
        check=False,
    )
    assert result.returncode != 0
    last = json.loads(result.stdout.splitlines()[-1])
    assert (last["event"], last["type"]) == ("error", "DataError")
    assert "chat" in last["message"]


CONFIGS: dict[str, dict[str, Any]] = {
    "lora-sft-bf16": {},
    "full-sft-fp16": {"method": "FULL", "precision": "fp16", "lora": None, "gradientCheckpointing": True},
    "qlora-sft-bf16": {"method": "QLORA", "quantBits": 4, "precision": "bf16", "optimizer": "paged_adamw_8bit"},
    "qlora-sft-fp16-targets": {
        "method": "QLORA",
        "quantBits": 4,
        "precision": "fp16",
        "lora": {"r": 16, "alpha": 8, "dropout": 0.1, "targetModules": ["q_proj", "v_proj"]},
    },
    "lora-dpo": {"trainer": "DPO", "warmupRatio": 0.1},
    "full-dpo-fp32": {"trainer": "DPO", "method": "FULL", "precision": "fp32", "lora": None},
}


def test_every_rendered_config_is_read_by_the_pinned_trl_as_planned(python: Path, tmp_path: Path) -> None:
    spec = []
    plans = {}
    for name, changes in CONFIGS.items():
        source, pin = hub_source("PREFERENCE" if changes.get("trainer") == "DPO" else "CHAT")
        content = package_content(sources=[source], config_changes=changes)
        plans[name] = plan_training(content.config)
        path = tmp_path / f"{name}.yaml"
        path.write_bytes(render_bundle(bundle_inputs(content, [pin]))["train.yaml"])
        spec.append({"path": str(path), "trainer": content.config.trainer})
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    result = subprocess.run(
        [str(python), str(SCRIPTS / "read_configs.py"), str(tmp_path / "spec.json")],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for (name, plan), line in zip(plans.items(), result.stdout.splitlines(), strict=True):
        read = json.loads(line)
        assert plan is not None
        training = read["training"]
        assert read["config_class"] == ("SFTConfig" if plan.trainer == "SFT" else "DPOConfig"), name
        assert training["max_length"] == plan.max_length
        assert training["warmup_steps"] == plan.warmup_ratio
        assert training["learning_rate"] == plan.learning_rate
        assert (training["bf16"], training["fp16"]) == (plan.mixed_precision == "bf16", plan.mixed_precision == "fp16")
        assert training["activation_checkpointing"] is training["gradient_checkpointing"] is plan.gradient_checkpointing
        assert training["optim"] == plan.optimizer.name
        assert training["model_init_kwargs"]["dtype"] == read["model"]["dtype"] == plan.load_dtype
        assert training.get("beta") == plan.dpo_beta if plan.trainer == "DPO" else "beta" not in training
        if plan.quantization is None:
            assert read["quantization"] is None, name
        else:
            assert read["quantization"] == {
                "load_in_4bit": True,
                "quant_type": plan.quantization.quant_type,
                "double_quant": plan.quantization.double_quant,
                "compute_dtype": plan.quantization.compute_dtype,
            }, name
        if plan.lora is None:
            assert read["peft"] is None, name
        else:
            targets = "all-linear" if plan.lora.all_linear else sorted(plan.lora.target_modules)
            assert read["peft"] == {
                "r": plan.lora.r,
                "alpha": plan.lora.alpha,
                "dropout": plan.lora.dropout,
                "targets": targets,
            }, name
