"""Rendering a version into its bundle: train.yaml from the plan, pinned datasets, card, Dockerfile."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from tests.support.bundles import (
    DATASET_SHA,
    MODEL_SHA,
    SOURCES_BY_FORMAT,
    UPLOAD_ID,
    bundle_inputs,
    hub_source,
    model_facts,
    package_content,
    uploaded,
)
from workflow.core.bundle import (
    APP_PORT,
    BASE_IMAGE,
    MANIFEST,
    Bundle,
    BundleInputError,
    DatasetFile,
    HubDatasetPin,
    render_bundle,
)
from workflow.core.bundle.yaml_text import Comment, render_yaml
from workflow.core.training import plan_training, requirements
from workflow.rules.dataset import FORMAT_ROLES

CHAT = b'{"conversation": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'


def _chat_bundle(**changes: Any) -> Bundle:
    content = package_content(
        sources=[{"source": "UPLOAD", "uploadId": UPLOAD_ID, **SOURCES_BY_FORMAT["CHAT"]}], **changes
    )
    return render_bundle(bundle_inputs(content, [uploaded("chat.jsonl", CHAT)]))


def _yaml(bundle: Bundle, path: str = "train.yaml") -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(bundle[path])
    return loaded


def test_train_yaml_is_the_plan_under_trl_names() -> None:
    content = package_content(
        sources=[{"source": "UPLOAD", "uploadId": UPLOAD_ID, **SOURCES_BY_FORMAT["CHAT"]}],
        config_changes={"warmupRatio": 0.03, "gradientAccumulation": 4, "weightDecay": 0.01, "scheduler": "cosine"},
    )
    bundle = render_bundle(bundle_inputs(content, [uploaded("chat.jsonl", CHAT)]))
    plan = plan_training(content.config)
    assert plan is not None and plan.lora is not None
    config = _yaml(bundle)
    assert config["model_name_or_path"] == "trainpack-tests/tiny-llama"
    assert config["model_revision"] == MODEL_SHA
    assert config["dtype"] == plan.load_dtype
    assert config["model_init_kwargs"] == {"dtype": plan.load_dtype, "revision": MODEL_SHA}
    assert config["num_train_epochs"] == plan.epochs
    assert config["learning_rate"] == plan.learning_rate
    assert config["per_device_train_batch_size"] == plan.per_device_batch_size
    assert config["gradient_accumulation_steps"] == plan.gradient_accumulation == 4
    assert config["max_length"] == plan.max_length
    assert config["warmup_steps"] == plan.warmup_ratio == 0.03
    assert isinstance(config["warmup_steps"], float)  # below 1 TRL reads it as a ratio
    assert config["weight_decay"] == plan.weight_decay
    assert config["lr_scheduler_type"] == plan.scheduler == "cosine"
    assert config["optim"] == plan.optimizer.name
    assert config["activation_checkpointing"] is plan.gradient_checkpointing
    assert config["seed"] == plan.seed
    assert (config["use_peft"], config["lora_r"], config["lora_alpha"]) == (True, plan.lora.r, plan.lora.alpha)
    assert config["lora_dropout"] == plan.lora.dropout
    assert config["lora_target_modules"] == "all-linear"
    removed = {"max_seq_length", "warmup_ratio", "gradient_checkpointing", "evaluation_strategy", "torch_dtype"}
    assert not removed & set(config)


@pytest.mark.parametrize(
    ("method", "precision", "dtype", "bf16", "fp16"),
    [
        ("LORA", "bf16", "bfloat16", True, False),
        ("LORA", "fp16", "float16", False, True),
        ("FULL", "fp16", "float32", False, True),
        ("FULL", "fp32", "float32", False, False),
    ],
)
def test_precision_sets_the_loaded_dtype_and_autocast_flags(
    method: str, precision: str, dtype: str, bf16: bool, fp16: bool
) -> None:
    config = _yaml(_chat_bundle(config_changes={"method": method, "precision": precision}))
    assert (config["dtype"], config["model_init_kwargs"]["dtype"]) == (dtype, dtype)
    assert (config["bf16"], config["fp16"]) == (bf16, fp16)


def test_qlora_renders_4bit_nf4_with_nested_quantisation_and_bitsandbytes() -> None:
    bundle = _chat_bundle(config_changes={"method": "QLORA", "quantBits": 4, "precision": "fp16"})
    config = _yaml(bundle)
    assert config["load_in_4bit"] is True
    assert config["bnb_4bit_quant_type"] == "nf4"
    assert config["use_bnb_nested_quant"] is True
    assert config["dtype"] == "float16"  # TRL computes the 4-bit base in ModelConfig.dtype
    assert config["use_peft"] is True
    assert any(line.startswith("bitsandbytes==") for line in bundle["requirements.txt"].decode().split())
    lora = _chat_bundle()
    assert "load_in_4bit" not in _yaml(lora)
    assert b"bitsandbytes" not in lora["requirements.txt"]


def test_full_fine_tune_has_no_adapter_settings() -> None:
    config = _yaml(_chat_bundle(config_changes={"method": "FULL", "lora": None}))
    assert config["use_peft"] is False
    assert not [key for key in config if key.startswith("lora_")]


def test_named_target_modules_render_as_a_list() -> None:
    config = _yaml(_chat_bundle(config_changes={"lora": {"r": 4, "alpha": 6.5, "targetModules": ["q_proj", "v_proj"]}}))
    assert config["lora_target_modules"] == ["q_proj", "v_proj"]
    assert (config["lora_r"], config["lora_alpha"]) == (4, 6.5)


def test_dpo_renders_beta_and_sft_does_not() -> None:
    source, pin = hub_source("PREFERENCE")
    content = package_content(sources=[source], config_changes={"trainer": "DPO"})
    plan = plan_training(content.config)
    assert plan is not None
    config = _yaml(render_bundle(bundle_inputs(content, [pin])))
    assert config["beta"] == plan.dpo_beta
    assert "beta" not in _yaml(_chat_bundle())
    assert "DPOConfig" in render_bundle(bundle_inputs(content, [pin]))["train.yaml"].decode().split("\n")[1]


def test_push_to_hub_follows_push_to_and_the_space_privacy() -> None:
    deploy = {
        "target": "HF_SPACE",
        "pushTo": "acme/tiny-out",
        "space": {"owner": "acme", "name": "s", "private": False},
    }
    pushed = _yaml(_chat_bundle(deploy=deploy))
    assert pushed["push_to_hub"] is True
    assert pushed["hub_model_id"] == "acme/tiny-out"
    assert pushed["hub_private_repo"] is False
    private = _yaml(_chat_bundle(deploy={"target": "LOCAL_BUNDLE", "pushTo": "acme/tiny-out"}))
    assert private["hub_private_repo"] is True
    kept = _yaml(_chat_bundle())
    assert kept["push_to_hub"] is False
    assert "hub_model_id" not in kept


@pytest.mark.parametrize(
    ("evaluation", "strategy"), [({"mode": "NONE"}, "no"), ({"mode": "FRACTION", "fraction": 0.1}, "epoch")]
)
def test_evaluation_strategy_follows_the_evaluation_split(evaluation: dict[str, Any], strategy: str) -> None:
    assert _yaml(_chat_bundle(evaluation=evaluation))["eval_strategy"] == strategy


def test_datasets_json_pins_every_source_and_carries_uploaded_files() -> None:
    hub, pin = hub_source("INSTRUCTION")
    csv = b"ask,reply\nCount to 2.,1 2\n"
    content = package_content(
        sources=[
            {**hub, "subset": "en", "split": "train", "weight": 2.0, "maxSamples": 100},
            {
                "source": "UPLOAD",
                "uploadId": UPLOAD_ID,
                "format": "CHAT",
                "columnMapping": {"messages": "conversation", "prompt": "unused"},
            },
            {"source": "LOCAL", "path": "/srv/private/datasets/answers.csv", **SOURCES_BY_FORMAT["INSTRUCTION"]},
        ],
        evaluation={"mode": "FRACTION", "fraction": 0.2},
    )
    chat, local = uploaded("../../my chats.jsonl", CHAT), uploaded("/srv/private/datasets/answers.csv", csv, "CSV")
    bundle = render_bundle(bundle_inputs(content, [pin, chat, local]))
    document = json.loads(bundle["datasets.json"])
    assert "a held-out 20% of every source" in bundle["README.md"].decode()
    first, second, third = document["sources"]
    assert document["trainer"] == "SFT"
    assert document["eval"] == {"mode": "FRACTION", "fraction": 0.2}
    assert (first["repoId"], first["revision"], first["subset"], first["split"]) == (
        "trainpack-tests/data",
        DATASET_SHA,
        "en",
        "train",
    )
    assert (first["weight"], first["maxSamples"]) == (2.0, 100)
    assert second["columnMapping"] == {"messages": "conversation"}  # roles the format lacks are dropped
    assert second["weight"] == 1.0
    assert second["sha256"] == hashlib.sha256(CHAT).hexdigest()
    assert bundle[second["file"]] == CHAT
    assert second["file"].startswith("data/") and second["file"].endswith("-my-chats.jsonl")
    assert bundle[third["file"]] == csv and third["fileFormat"] == "CSV"
    for file in bundle.files:
        assert b"/srv/private" not in file.content, file.path


def test_one_upload_used_twice_is_carried_once() -> None:
    sources = [
        {"source": "UPLOAD", "uploadId": UPLOAD_ID, **SOURCES_BY_FORMAT["CHAT"], "weight": w} for w in (1.0, 3.0)
    ]
    bundle = render_bundle(bundle_inputs(package_content(sources=sources), [uploaded("a.jsonl", CHAT)] * 2))
    document = json.loads(bundle["datasets.json"])
    assert document["sources"][0]["file"] == document["sources"][1]["file"]
    assert [path for path in bundle.paths if path.startswith("data/")] == [document["sources"][0]["file"]]


def test_readme_has_the_spaces_header_and_the_model_card() -> None:
    estimate = {"hardware": "t4-small", "peak memory per GPU": "1.2 GB", "cost": "$0.05"}
    content = package_content(sources=[{"source": "UPLOAD", "uploadId": UPLOAD_ID, **SOURCES_BY_FORMAT["CHAT"]}])
    bundle = render_bundle(bundle_inputs(content, [uploaded("chat.jsonl", CHAT)], estimate=estimate))
    text = bundle["README.md"].decode()
    _, header, body = text.split("---\n", 2)
    front = yaml.safe_load(header)
    assert front["sdk"] == "docker"
    assert front["app_port"] == APP_PORT == 7860
    assert front["title"] == "tiny-llama-lora-chat-20261201 v1"
    assert len(front["short_description"]) <= 60
    assert MODEL_SHA in body and "trainpack-tests/tiny-llama" in body
    assert hashlib.sha256(CHAT).hexdigest() in body
    assert "`apache-2.0`" in body
    assert "| LoRA rank | 8 |" in body
    assert "Evaluation: none." in body
    assert body.index("cost") < body.index("hardware") < body.index("peak memory")  # sorted labels
    assert "$0.05" in body
    unknown = render_bundle(bundle_inputs(content, [uploaded("chat.jsonl", CHAT)], model=model_facts(licence=None)))
    assert "does not declare" in unknown["README.md"].decode()


def test_dockerfile_pins_the_base_image_runs_as_uid_1000_and_serves_the_app_port() -> None:
    bundle = _chat_bundle()
    text = bundle["Dockerfile"].decode()
    assert text.startswith(f"FROM {BASE_IMAGE}\n")
    assert re.fullmatch(r"nvidia/cuda:\d+\.\d+\.\d+-cudnn-runtime-ubuntu\d+\.\d+", BASE_IMAGE)
    assert "--uid 1000 user" in text and "\nUSER user\n" in text
    assert "RUN pip install -r requirements.txt" in text
    assert f"EXPOSE {APP_PORT}" in text
    assert json.loads(text.rsplit("CMD ", 1)[1]) == [
        "python",
        "status.py",
        "--port",
        "7860",
        "--",
        "python",
        "train.py",
    ]
    copied = [part for line in text.splitlines() if line.startswith("COPY") for part in line.split()[2:-1]]
    assert "data/" in copied
    for path in copied:
        assert path.rstrip("/") in {p.split("/")[0] for p in bundle.paths}, path
    hub, pin = hub_source("CHAT")
    without_data = render_bundle(bundle_inputs(package_content(sources=[hub]), [pin]))
    assert "data/" not in without_data["Dockerfile"].decode()


def test_requirements_and_manifest() -> None:
    bundle = _chat_bundle()
    plan = plan_training(package_content(sources=[]).config)
    assert bundle["requirements.txt"].decode().split() == requirements(plan)
    manifest = bundle.manifest
    listed = {entry["path"]: (entry["sha256"], entry["size"]) for entry in manifest["files"]}
    assert set(listed) == set(bundle.paths) - {MANIFEST}
    for file in bundle.files:
        if file.path != MANIFEST:
            assert listed[file.path] == (hashlib.sha256(file.content).hexdigest(), len(file.content))
    assert manifest["package"]["contentHash"].startswith("sha256:")
    assert manifest["formatVersion"] == 1
    assert list(bundle.paths) == sorted(bundle.paths)


def _refused(content_changes: dict[str, Any], pins: list[Any] | None = None, **inputs: Any) -> str:
    content = package_content(**content_changes)
    with pytest.raises(BundleInputError) as caught:
        render_bundle(bundle_inputs(content, pins if pins is not None else [uploaded("chat.jsonl", CHAT)], **inputs))
    return caught.value.code


UPLOAD_CHAT = {"source": "UPLOAD", "uploadId": UPLOAD_ID, **SOURCES_BY_FORMAT["CHAT"]}


def test_inputs_that_do_not_describe_a_run_are_refused_with_a_code() -> None:
    assert _refused({"sources": [UPLOAD_CHAT], "config_changes": {"maxSeqLength": None}}) == "BUNDLE_CONFIG_INCOMPLETE"
    assert _refused({"sources": [UPLOAD_CHAT]}, model=model_facts(sha="main")) == "BUNDLE_MODEL_UNPINNED"
    assert _refused({"sources": [UPLOAD_CHAT, UPLOAD_CHAT]}) == "BUNDLE_DATASETS_MISMATCH"
    assert _refused({"sources": []}, pins=[]) == "BUNDLE_DATASET_INVALID"
    hub, _ = hub_source("CHAT")
    assert _refused({"sources": [hub]}, pins=[HubDatasetPin("main")]) == "BUNDLE_DATASET_UNPINNED"
    assert _refused({"sources": [hub]}) == "BUNDLE_DATASET_UNPINNED"
    assert _refused({"sources": [UPLOAD_CHAT]}, pins=[HubDatasetPin(DATASET_SHA)]) == "BUNDLE_DATASET_UNPINNED"
    tampered = DatasetFile("chat.jsonl", "JSONL", CHAT + b"\n", hashlib.sha256(CHAT).hexdigest())
    assert _refused({"sources": [UPLOAD_CHAT]}, pins=[tampered]) == "BUNDLE_DATASET_SHA256_MISMATCH"
    preference = {"source": "UPLOAD", "uploadId": UPLOAD_ID, **SOURCES_BY_FORMAT["PREFERENCE"]}
    assert _refused({"sources": [preference]}) == "BUNDLE_DATASET_INVALID"  # SFT takes no preference data
    partial = {**UPLOAD_CHAT, "columnMapping": {"prompt": "x"}}
    assert _refused({"sources": [partial]}) == "BUNDLE_DATASET_INVALID"


def test_a_local_model_renders_a_bundle_folder_but_cannot_go_to_a_space() -> None:
    local = {"source": "LOCAL", "path": "/srv/models/private-base"}
    content = package_content(sources=[UPLOAD_CHAT]).model_copy(
        update={"model": package_content(sources=[]).model.model_copy(update=local)}
    )
    bundle = render_bundle(bundle_inputs(content, [uploaded("chat.jsonl", CHAT)]))
    config = _yaml(bundle)
    assert config["model_name_or_path"] == "./model"
    assert "model_revision" not in config
    assert all(b"/srv/models" not in file.content for file in bundle.files)
    space = content.model_copy(update={"deploy": content.deploy.model_copy(update={"target": "HF_SPACE"})})
    with pytest.raises(BundleInputError) as caught:
        render_bundle(bundle_inputs(space, [uploaded("chat.jsonl", CHAT)]))
    assert caught.value.code == "BUNDLE_MODEL_NOT_ON_HUB"


def test_every_format_role_is_kept_in_the_mapping() -> None:
    for fmt, source in SOURCES_BY_FORMAT.items():
        assert set(source["columnMapping"]) == set(FORMAT_ROLES[fmt])


# -- the YAML writer -------------------------------------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=["Cs"]))
)


@given(st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True), SCALARS | st.lists(SCALARS)))
@example({"no": None, "on": True, "null": 1})  # bare, these keys read back as False, True and None
def test_yaml_reads_back_as_written(values: dict[str, Any]) -> None:
    text = render_yaml([Comment("a header"), *values.items()])
    assert (yaml.safe_load(text) or {}) == values


@pytest.mark.parametrize(("value", "text"), [(1e-05, "1.0e-05"), (2e-4, "0.0002"), (3.0, "3.0"), (-0.0, "0.0")])
def test_floats_always_carry_a_dot(value: float, text: str) -> None:
    assert render_yaml([("x", value)]) == f"x: {text}\n"
    assert isinstance(yaml.safe_load(render_yaml([("x", value)]))["x"], float)


@pytest.mark.parametrize("entries", [[("bad key", 1)], [("a", 1), ("a", 2)], [("x", float("nan"))]])
def test_the_yaml_writer_refuses_what_it_cannot_write_faithfully(entries: list[Any]) -> None:
    with pytest.raises(ValueError, match=r"key|YAML"):
        render_yaml(entries)
