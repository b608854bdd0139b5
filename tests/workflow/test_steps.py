"""Shape validation of the step blocks, the content JSON round trip, and presets."""

from __future__ import annotations

from typing import Any

import pytest

from workflow.errors import ValidationFailedError
from workflow.issues import IssueCode
from workflow.presets import PRESETS, apply_preset
from workflow.steps import (
    BLOCK_TYPES,
    STEP_ORDER,
    ConfigStepData,
    DatasetStepData,
    LoraSettings,
    ModelStepData,
    PackageContent,
    Step,
    parse_block,
    parse_patch,
)

FULL_CONTENT: dict[str, dict[str, Any]] = {
    "model": {"source": "HUB", "repoId": "meta-llama/Llama-3.2-1B", "revision": "main"},
    "config": {
        "method": "QLORA",
        "trainer": "SFT",
        "epochs": 2.5,
        "learningRate": 0.0002,
        "batchSize": 4,
        "gradientAccumulation": 8,
        "maxSeqLength": 2048,
        "warmupRatio": 0.03,
        "weightDecay": 0.01,
        "scheduler": "cosine",
        "optimizer": "paged_adamw_8bit",
        "precision": "bf16",
        "gradientCheckpointing": True,
        "seed": 7,
        "lora": {"r": 16, "alpha": 32.0, "dropout": 0.05, "targetModules": ["q_proj", "v_proj"]},
        "quantBits": 4,
    },
    "dataset": {
        "sources": [
            {
                "source": "HUB",
                "repoId": "tatsu-lab/alpaca",
                "split": "train",
                "format": "INSTRUCTION",
                "columnMapping": {"prompt": "instruction", "completion": "output"},
                "weight": 1.0,
                "maxSamples": 1000,
            },
            {
                "source": "UPLOAD",
                "uploadId": "0b7c3f0e-3c4e-4b8e-9a53-2f1f6f0a7d11",
                "format": "CHAT",
                "columnMapping": {"messages": "messages"},
            },
        ],
        "eval": {"mode": "FRACTION", "fraction": 0.1},
    },
    "deploy": {
        "target": "HF_SPACE",
        "space": {"owner": "acme", "name": "train-llama", "private": True, "hardware": "a10g-small"},
        "hubTokenSecret": "HF_TOKEN",
        "pushTo": "acme/llama-ft",
        "budgetUsd": 25.0,
    },
}


def issues_of(exc: pytest.ExceptionInfo[ValidationFailedError]) -> set[tuple[str, IssueCode]]:
    return {(issue.path, issue.code) for issue in exc.value.issues}


# --- shape errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "raw", "path", "code"),
    [
        (Step.CONFIG, {"epochs": "3"}, "config.epochs", IssueCode.INVALID_TYPE),
        (Step.CONFIG, {"batchSize": "4"}, "config.batchSize", IssueCode.INVALID_TYPE),
        (Step.CONFIG, {"batchSize": 4.0}, "config.batchSize", IssueCode.INVALID_TYPE),
        (Step.CONFIG, {"batchSize": True}, "config.batchSize", IssueCode.INVALID_TYPE),
        (Step.CONFIG, {"gradientCheckpointing": "yes"}, "config.gradientCheckpointing", IssueCode.INVALID_TYPE),
        (Step.CONFIG, {"learningRate": None, "seed": "42"}, "config.seed", IssueCode.INVALID_TYPE),
        (Step.CONFIG, {"lora": {"r": "8"}}, "config.lora.r", IssueCode.INVALID_TYPE),
        (Step.CONFIG, {"lora": {"targetModules": "all-linear"}}, "config.lora.targetModules", IssueCode.INVALID_TYPE),
        (
            Step.CONFIG,
            {"lora": {"targetModules": ["q_proj", 3]}},
            "config.lora.targetModules[1]",
            IssueCode.INVALID_TYPE,
        ),
        (Step.CONFIG, {"lora": 16}, "config.lora", IssueCode.INVALID_TYPE),
        (Step.CONFIG, {"method": "lora"}, "config.method", IssueCode.INVALID_CHOICE),
        (Step.CONFIG, {"trainer": "PPO"}, "config.trainer", IssueCode.INVALID_CHOICE),
        (Step.CONFIG, {"scheduler": "Cosine"}, "config.scheduler", IssueCode.INVALID_CHOICE),
        (Step.CONFIG, {"precision": "int8"}, "config.precision", IssueCode.INVALID_CHOICE),
        (Step.CONFIG, {"epoch": 3}, "config.epoch", IssueCode.UNKNOWN_FIELD),
        (Step.CONFIG, {"lora": {"rank": 8}}, "config.lora.rank", IssueCode.UNKNOWN_FIELD),
        (Step.MODEL, {"source": "S3"}, "model.source", IssueCode.INVALID_CHOICE),
        (Step.MODEL, {"repoId": 42}, "model.repoId", IssueCode.INVALID_TYPE),
        (Step.MODEL, {"url": "https://x"}, "model.url", IssueCode.UNKNOWN_FIELD),
        (Step.DATASET, {"sources": [{"format": "JSONL"}]}, "dataset.sources[0].format", IssueCode.INVALID_CHOICE),
        (Step.DATASET, {"sources": {"source": "HUB"}}, "dataset.sources", IssueCode.INVALID_TYPE),
        (
            Step.DATASET,
            {"sources": [{}, {"columnMapping": {"prompt": 1}}]},
            "dataset.sources[1].columnMapping.prompt",
            IssueCode.INVALID_TYPE,
        ),
        (Step.DATASET, {"sources": [{}, {}, {"weight": "1"}]}, "dataset.sources[2].weight", IssueCode.INVALID_TYPE),
        (Step.DATASET, {"sources": [{"colour": "red"}]}, "dataset.sources[0].colour", IssueCode.UNKNOWN_FIELD),
        (Step.DATASET, {"eval": {"fraction": "0.1"}}, "dataset.eval.fraction", IssueCode.INVALID_TYPE),
        (Step.DATASET, {"eval": {"mode": "HOLDOUT"}}, "dataset.eval.mode", IssueCode.INVALID_CHOICE),
        (Step.DEPLOY, {"target": "SAGEMAKER"}, "deploy.target", IssueCode.INVALID_CHOICE),
        (Step.DEPLOY, {"space": {"private": "true"}}, "deploy.space.private", IssueCode.INVALID_TYPE),
        (Step.DEPLOY, {"space": {"sleepTimeSeconds": 3.5}}, "deploy.space.sleepTimeSeconds", IssueCode.INVALID_TYPE),
        (Step.DEPLOY, {"budgetUsd": "10"}, "deploy.budgetUsd", IssueCode.INVALID_TYPE),
    ],
)
def test_parse_block_refuses_bad_shapes_with_path_and_code(
    step: Step, raw: dict[str, Any], path: str, code: IssueCode
) -> None:
    with pytest.raises(ValidationFailedError) as exc:
        parse_block(step, raw)
    assert issues_of(exc) == {(path, code)}
    assert all(issue.message for issue in exc.value.issues)


@pytest.mark.parametrize("raw", ["epochs=3", 3, ["epochs"], None])
def test_parse_block_refuses_a_non_object_block(raw: object) -> None:
    with pytest.raises(ValidationFailedError) as exc:
        parse_block(Step.CONFIG, raw)
    assert issues_of(exc) == {("config", IssueCode.INVALID_TYPE)}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_are_refused(value: float) -> None:
    # JSON cannot carry them (the JSONB column would refuse the row) and NaN slips past every range.
    with pytest.raises(ValidationFailedError) as exc:
        parse_block(Step.CONFIG, {"learningRate": value})
    assert issues_of(exc) == {("config.learningRate", IssueCode.INVALID_TYPE)}


def test_parse_block_reports_every_error_of_a_block() -> None:
    with pytest.raises(ValidationFailedError) as exc:
        parse_block(Step.CONFIG, {"epochs": "3", "method": "SOMETHING", "colour": "blue", "lora": {"r": 1.5}})
    assert issues_of(exc) == {
        ("config.epochs", IssueCode.INVALID_TYPE),
        ("config.method", IssueCode.INVALID_CHOICE),
        ("config.colour", IssueCode.UNKNOWN_FIELD),
        ("config.lora.r", IssueCode.INVALID_TYPE),
    }


def test_parse_patch_reports_errors_of_every_step_and_unknown_steps_at_once() -> None:
    with pytest.raises(ValidationFailedError) as exc:
        parse_patch(
            {
                "model": {"source": "hub"},
                "config": {"epochs": 3, "lora": {"r": "16"}},
                "dataset": {"sources": [{"format": "CHAT"}, {"format": "chat"}]},
                "training": {"epochs": 3},
            }
        )
    assert issues_of(exc) == {
        ("model.source", IssueCode.INVALID_CHOICE),
        ("config.lora.r", IssueCode.INVALID_TYPE),
        ("dataset.sources[1].format", IssueCode.INVALID_CHOICE),
        ("training", IssueCode.UNKNOWN_FIELD),
    }


def test_parse_patch_refuses_a_step_name_in_the_wrong_case() -> None:
    with pytest.raises(ValidationFailedError) as exc:
        parse_patch({"Model": {}})
    assert issues_of(exc) == {("Model", IssueCode.UNKNOWN_FIELD)}


def test_parse_patch_accepts_partial_data_and_returns_only_the_given_steps() -> None:
    blocks = parse_patch({"config": {"epochs": 3}, "model": {}})
    assert set(blocks) == {Step.CONFIG, Step.MODEL}
    config = blocks[Step.CONFIG]
    assert isinstance(config, ConfigStepData)
    assert config.epochs == 3.0
    assert config.method is None
    assert config.lora is None
    assert blocks[Step.MODEL] == ModelStepData()


def test_parse_patch_of_nothing_is_empty() -> None:
    assert parse_patch({}) == {}


def test_partial_nested_blocks_are_accepted() -> None:
    block = parse_block(Step.DATASET, {"sources": [{}, {"format": "CHAT"}], "eval": {}})
    assert isinstance(block, DatasetStepData)
    assert block.sources is not None
    assert len(block.sources) == 2
    assert block.sources[1].format == "CHAT"
    assert block.sources[0].format is None


def test_ranges_are_not_shape_errors() -> None:
    """Out-of-range values are stored (the rules report them); only the shape refuses a save."""
    block = parse_block(Step.CONFIG, {"epochs": -5, "learningRate": 7, "lora": {"r": 0}})
    assert isinstance(block, ConfigStepData)
    assert block.epochs == -5
    assert block.lora == LoraSettings(r=0)


def test_an_int_is_accepted_for_a_float_field_and_stored_as_a_float() -> None:
    block = parse_block(Step.CONFIG, {"epochs": 3})
    assert isinstance(block, ConfigStepData)
    assert isinstance(block.epochs, float)
    assert block.to_json() == {"epochs": 3.0}


def test_snake_case_field_names_are_accepted_too() -> None:
    assert parse_block(Step.MODEL, {"repo_id": "a/b"}) == parse_block(Step.MODEL, {"repoId": "a/b"})


def test_blocks_are_frozen() -> None:
    block = ModelStepData(repo_id="a/b")
    with pytest.raises(ValueError, match="frozen"):
        block.repo_id = "c/d"  # type: ignore[misc]


def test_every_step_has_a_block_type() -> None:
    assert set(BLOCK_TYPES) == set(STEP_ORDER)
    assert [step.position for step in STEP_ORDER] == [0, 1, 2, 3]


# --- JSON round trip --------------------------------------------------------------------


def test_content_round_trips_through_json() -> None:
    content = PackageContent.from_json(FULL_CONTENT)
    assert content.to_json() == FULL_CONTENT
    assert PackageContent.from_json(content.to_json()) == content


def test_to_json_is_camel_case_and_drops_unset_fields() -> None:
    content = PackageContent.from_json({"config": {"learning_rate": 0.1, "lora": {"target_modules": ["q"]}}})
    assert content.to_json() == {
        "model": {},
        "config": {"learningRate": 0.1, "lora": {"targetModules": ["q"]}},
        "dataset": {},
        "deploy": {},
    }


def test_from_json_accepts_missing_and_null_steps() -> None:
    assert PackageContent.from_json({}) == PackageContent()
    assert PackageContent.from_json({"model": None, "config": {}}) == PackageContent()


def test_with_block_replaces_one_step_only() -> None:
    content = PackageContent.from_json(FULL_CONTENT)
    replaced = content.with_block(Step.MODEL, ModelStepData(source="LOCAL", path="/models/x"))
    assert replaced.model.path == "/models/x"
    assert replaced.config == content.config
    assert replaced.dataset == content.dataset
    assert replaced.deploy == content.deploy
    assert content.model.repo_id == "meta-llama/Llama-3.2-1B"
    assert replaced.block(Step.MODEL) is replaced.model


# --- presets ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(PRESETS))
def test_every_preset_fills_a_config_that_parses(key: str) -> None:
    config = apply_preset(key, None)
    assert config.preset == key
    assert config.method in ("FULL", "LORA", "QLORA")
    assert config.trainer is not None
    assert config.epochs is not None
    assert config.learning_rate is not None
    assert config.batch_size is not None
    assert config.max_seq_length is not None


def test_qlora_preset_sets_4bit_and_half_precision() -> None:
    config = apply_preset("qlora-low-memory", None)
    assert config.method == "QLORA"
    assert config.quant_bits == 4
    assert config.precision in ("bf16", "fp16")


def test_user_fields_win_over_the_preset() -> None:
    overrides = parse_block(Step.CONFIG, {"epochs": 1, "method": "QLORA", "quantBits": 4, "seed": 1})
    assert isinstance(overrides, ConfigStepData)
    config = apply_preset("lora-default", overrides)
    assert config.epochs == 1
    assert config.method == "QLORA"
    assert config.seed == 1
    # Fields the user left alone come from the preset.
    assert config.learning_rate == PRESETS["lora-default"].values["learningRate"]
    assert config.scheduler == PRESETS["lora-default"].values["scheduler"]


def test_user_lora_fields_merge_into_the_preset_lora_settings() -> None:
    overrides = ConfigStepData(lora=LoraSettings(r=8))
    config = apply_preset("lora-default", overrides)
    preset_lora = PRESETS["lora-default"].values["lora"]
    assert config.lora == LoraSettings(
        r=8, alpha=preset_lora["alpha"], dropout=preset_lora["dropout"], target_modules=preset_lora["targetModules"]
    )


def test_the_applied_preset_key_is_recorded_even_if_the_overrides_name_another() -> None:
    config = apply_preset("full-fine-tune", ConfigStepData(preset="lora-default"))
    assert config.preset == "full-fine-tune"
    assert config.method == "FULL"


def test_unknown_preset_is_refused_at_config_preset() -> None:
    with pytest.raises(ValidationFailedError) as exc:
        apply_preset("turbo", None)
    assert issues_of(exc) == {("config.preset", IssueCode.UNKNOWN_PRESET)}
    assert "lora-default" in exc.value.issues[0].message
