"""The validation rules of PRODUCT.md §2 "Validation", step by step."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from tests.support.estimates import estimate_facts
from workflow.facts import NO_FACTS, DatasetFacts, Facts, ModelFacts
from workflow.issues import IssueCode, Severity
from workflow.rules import StepReport, validate_step
from workflow.steps import PackageContent, Step

ALPACA = DatasetFacts(
    columns=frozenset({"instruction", "output"}),
    rows=52_002,
    column_kinds={"instruction": "string", "output": "string"},
)
MODEL_FACTS = ModelFacts(
    resolved_sha="4e20de3f00c0ffee",
    context_length=8192,
    module_names=frozenset({"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}),
    parameter_count=1_240_000_000,
)
FACTS = Facts(
    model=MODEL_FACTS,
    datasets={0: ALPACA},
    secret_names=frozenset({"HF_TOKEN"}),
    estimate=estimate_facts({"a10g-small": True, "t4-small": False}),
)

VALID: dict[str, dict[str, Any]] = {
    "model": {"source": "HUB", "repoId": "meta-llama/Llama-3.2-1B", "revision": "main"},
    "config": {
        "method": "LORA",
        "trainer": "SFT",
        "epochs": 3,
        "learningRate": 2e-4,
        "batchSize": 4,
        "gradientAccumulation": 4,
        "maxSeqLength": 2048,
        "warmupRatio": 0.03,
        "precision": "bf16",
        "lora": {"r": 16, "alpha": 32, "dropout": 0.05, "targetModules": ["q_proj", "v_proj"]},
    },
    "dataset": {
        "sources": [
            {
                "source": "HUB",
                "repoId": "tatsu-lab/alpaca",
                "format": "INSTRUCTION",
                "columnMapping": {"prompt": "instruction", "completion": "output"},
                "weight": 1.0,
            }
        ]
    },
    "deploy": {
        "target": "HF_SPACE",
        "space": {"owner": "acme", "name": "train-llama", "hardware": "a10g-small"},
        "hubTokenSecret": "HF_TOKEN",
    },
}


def content_with(**changes: dict[str, Any]) -> PackageContent:
    """The valid content with some blocks deep-merged with ``changes``."""
    raw = copy.deepcopy(VALID)
    for step, fields in changes.items():
        _merge(raw[step], fields)
    return PackageContent.from_json(raw)


def _merge(target: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        elif value is None:
            target.pop(key, None)
        else:
            target[key] = value


def check(step: Step, content: PackageContent, facts: Facts = FACTS, *, for_completion: bool = True) -> StepReport:
    return validate_step(step, content, facts, for_completion=for_completion)


def errors(report: StepReport) -> set[tuple[str, IssueCode]]:
    return {(issue.path, issue.code) for issue in report.errors}


def warnings(report: StepReport) -> set[tuple[str, IssueCode]]:
    return {(issue.path, issue.code) for issue in report.warnings}


@pytest.mark.parametrize("step", list(Step))
def test_the_reference_content_is_valid_with_facts(step: Step) -> None:
    report = check(step, content_with())
    assert report.errors == ()
    assert report.valid


# --- config ranges ----------------------------------------------------------------------


def _config_field(path: str, value: float) -> dict[str, Any]:
    if path.startswith("lora."):
        return {"lora": {path.removeprefix("lora."): value}}
    return {path: value}


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("epochs", 0, False),
        ("epochs", -1, False),
        ("epochs", 0.1, True),
        ("epochs", 1, True),
        ("epochs", 100, True),
        ("epochs", 100.5, False),
        ("epochs", 101, False),
        ("learningRate", 0, False),
        ("learningRate", -1e-5, False),
        ("learningRate", 1e-9, True),
        ("learningRate", 1, True),
        ("learningRate", 1.0001, False),
        ("batchSize", 0, False),
        ("batchSize", -4, False),
        ("batchSize", 1, True),
        ("batchSize", 64, True),
        ("gradientAccumulation", 0, False),
        ("gradientAccumulation", -1, False),
        ("gradientAccumulation", 1, True),
        ("warmupRatio", -0.01, False),
        ("warmupRatio", 0, True),
        ("warmupRatio", 0.999, True),
        ("warmupRatio", 1, False),
        ("warmupRatio", 1.5, False),
        ("lora.dropout", -0.1, False),
        ("lora.dropout", 0, True),
        ("lora.dropout", 0.99, True),
        ("lora.dropout", 1, False),
        ("lora.r", 0, False),
        ("lora.r", -8, False),
        ("lora.r", 1, True),
        ("lora.r", 64, True),
    ],
)
def test_config_ranges_including_boundaries(field: str, value: float, ok: bool) -> None:
    report = check(Step.CONFIG, content_with(config=_config_field(field, value)))
    if ok:
        assert report.errors == ()
    else:
        assert errors(report) == {(f"config.{field}", IssueCode.OUT_OF_RANGE)}
        assert report.errors[0].severity is Severity.ERROR
        assert not report.valid


def test_ranges_are_reported_at_save_time_too() -> None:
    report = check(Step.CONFIG, PackageContent.from_json({"config": {"epochs": 0}}), NO_FACTS, for_completion=False)
    assert errors(report) == {("config.epochs", IssueCode.OUT_OF_RANGE)}


def test_several_range_errors_are_reported_together() -> None:
    report = check(Step.CONFIG, content_with(config={"epochs": 0, "batchSize": 0, "lora": {"r": 0}}))
    assert errors(report) == {
        ("config.epochs", IssueCode.OUT_OF_RANGE),
        ("config.batchSize", IssueCode.OUT_OF_RANGE),
        ("config.lora.r", IssueCode.OUT_OF_RANGE),
    }


# --- QLoRA ------------------------------------------------------------------------------


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_qlora_with_4bit_and_half_precision_is_valid(precision: str) -> None:
    report = check(Step.CONFIG, content_with(config={"method": "QLORA", "quantBits": 4, "precision": precision}))
    assert report.errors == ()


@pytest.mark.parametrize("bits", [8, 16, 2])
def test_qlora_needs_4bit(bits: int) -> None:
    report = check(Step.CONFIG, content_with(config={"method": "QLORA", "quantBits": bits}))
    assert errors(report) == {("config.quantBits", IssueCode.QLORA_REQUIRES_4BIT)}


def test_qlora_needs_half_precision() -> None:
    report = check(Step.CONFIG, content_with(config={"method": "QLORA", "quantBits": 4, "precision": "fp32"}))
    assert errors(report) == {("config.precision", IssueCode.QLORA_REQUIRES_HALF_PRECISION)}


def test_qlora_without_quant_bits_is_incomplete_only_at_completion() -> None:
    content = content_with(config={"method": "QLORA"})
    assert errors(check(Step.CONFIG, content)) == {("config.quantBits", IssueCode.REQUIRED)}
    assert check(Step.CONFIG, content, for_completion=False).errors == ()


def test_4bit_and_fp32_rules_apply_only_to_qlora() -> None:
    report = check(Step.CONFIG, content_with(config={"method": "LORA", "quantBits": 8, "precision": "fp32"}))
    assert report.errors == ()


def test_lora_methods_need_a_rank() -> None:
    report = check(Step.CONFIG, content_with(config={"lora": {"r": None}}))
    assert errors(report) == {("config.lora.r", IssueCode.REQUIRED)}
    full = check(Step.CONFIG, content_with(config={"method": "FULL", "lora": None}))
    assert full.errors == ()
    assert full.warnings == ()


def test_lora_settings_on_a_full_fine_tune_only_warn() -> None:
    report = check(Step.CONFIG, content_with(config={"method": "FULL", "lora": {"targetModules": ["nope"]}}))
    assert report.errors == ()
    assert warnings(report) == {("config.lora", IssueCode.LORA_SETTINGS_UNUSED)}
    assert report.valid


# --- against the resolved model ---------------------------------------------------------


def test_max_seq_length_is_pending_until_the_model_is_resolved() -> None:
    report = check(Step.CONFIG, content_with(config={"maxSeqLength": 1_000_000}), NO_FACTS)
    assert report.errors == ()
    assert ("config.maxSeqLength", IssueCode.CONTEXT_LENGTH_PENDING) in warnings(report)
    pending = next(issue for issue in report.warnings if issue.code is IssueCode.CONTEXT_LENGTH_PENDING)
    assert pending.severity is Severity.PENDING
    assert report.valid


@pytest.mark.parametrize(("max_seq_length", "ok"), [(2048, True), (8192, True), (8193, False), (32768, False)])
def test_max_seq_length_must_fit_the_model_context(max_seq_length: int, ok: bool) -> None:
    report = check(Step.CONFIG, content_with(config={"maxSeqLength": max_seq_length}))
    if ok:
        assert report.errors == ()
    else:
        assert errors(report) == {("config.maxSeqLength", IssueCode.MAX_SEQ_LENGTH_EXCEEDS_CONTEXT)}
        assert "8192" in report.errors[0].message
    assert IssueCode.CONTEXT_LENGTH_PENDING not in {issue.code for issue in report.warnings}


def test_unknown_context_length_in_resolved_facts_does_not_block() -> None:
    facts = Facts(model=ModelFacts("abc", context_length=None, module_names=MODEL_FACTS.module_names))
    report = check(Step.CONFIG, content_with(config={"maxSeqLength": 100_000}), facts)
    assert report.errors == ()


def test_target_modules_must_exist_in_the_model() -> None:
    report = check(Step.CONFIG, content_with(config={"lora": {"targetModules": ["q_proj", "query_key_value"]}}))
    assert errors(report) == {("config.lora.targetModules", IssueCode.TARGET_MODULES_UNKNOWN)}
    assert "query_key_value" in report.errors[0].message
    assert "q_proj" not in report.errors[0].message


def test_all_linear_is_accepted_without_checking_module_names() -> None:
    facts = Facts(model=ModelFacts("abc", context_length=8192, module_names=frozenset()))
    report = check(Step.CONFIG, content_with(config={"lora": {"targetModules": ["all-linear"]}}), facts)
    assert report.errors == ()
    assert report.warnings == ()


def test_target_modules_are_pending_until_the_model_is_resolved() -> None:
    report = check(Step.CONFIG, content_with(config={"lora": {"targetModules": ["whatever"]}}), NO_FACTS)
    assert report.errors == ()
    assert ("config.lora.targetModules", IssueCode.TARGET_MODULES_PENDING) in warnings(report)


# --- dataset ----------------------------------------------------------------------------

PREFERENCE_SOURCE = {
    "source": "HUB",
    "repoId": "trl-lib/ultrafeedback_binarized",
    "format": "PREFERENCE",
    "columnMapping": {"prompt": "prompt", "chosen": "chosen", "rejected": "rejected"},
}


def profiled(*sources: dict[str, Any]) -> Facts:
    """FACTS with, for each source, a profile holding exactly the columns its mapping names."""
    datasets = {}
    for index, source in enumerate(sources):
        mapping = source.get("columnMapping") or {}
        kinds = {column: "messages" if role == "messages" else "string" for role, column in mapping.items() if column}
        datasets[index] = DatasetFacts(columns=frozenset(kinds), rows=10, column_kinds=kinds)
    return replace(FACTS, datasets=datasets)


def test_dpo_needs_a_preference_dataset() -> None:
    report = check(Step.DATASET, content_with(config={"trainer": "DPO"}))
    assert errors(report) == {("dataset.sources[0].format", IssueCode.DATASET_FORMAT_TRAINER_MISMATCH)}
    assert "PREFERENCE" in report.errors[0].message


def test_dpo_with_a_preference_dataset_is_valid() -> None:
    content = content_with(config={"trainer": "DPO"}, dataset={"sources": [PREFERENCE_SOURCE]})
    report = check(Step.DATASET, content, profiled(PREFERENCE_SOURCE))
    assert report.errors == ()


def test_sft_refuses_a_preference_dataset() -> None:
    report = check(Step.DATASET, content_with(dataset={"sources": [PREFERENCE_SOURCE]}), profiled(PREFERENCE_SOURCE))
    assert errors(report) == {("dataset.sources[0].format", IssueCode.DATASET_FORMAT_TRAINER_MISMATCH)}


def test_every_source_is_checked_against_the_trainer() -> None:
    sources = [PREFERENCE_SOURCE, VALID["dataset"]["sources"][0], PREFERENCE_SOURCE]
    report = check(
        Step.DATASET, content_with(config={"trainer": "DPO"}, dataset={"sources": sources}), profiled(*sources)
    )
    assert errors(report) == {("dataset.sources[1].format", IssueCode.DATASET_FORMAT_TRAINER_MISMATCH)}


ROLES = {
    "CHAT": ["messages"],
    "INSTRUCTION": ["prompt", "completion"],
    "COMPLETION": ["text"],
    "PREFERENCE": ["prompt", "chosen", "rejected"],
}


def _source(fmt: str, mapping: dict[str, str] | None) -> dict[str, Any]:
    source: dict[str, Any] = {"source": "UPLOAD", "uploadId": "0b7c3f0e-3c4e-4b8e-9a53-2f1f6f0a7d11", "format": fmt}
    if mapping is not None:
        source["columnMapping"] = mapping
    return source


def _trainer(fmt: str) -> str:
    return "DPO" if fmt == "PREFERENCE" else "SFT"


@pytest.mark.parametrize("fmt", sorted(ROLES))
def test_a_full_column_mapping_is_complete(fmt: str) -> None:
    mapping = {role: f"col_{role}" for role in ROLES[fmt]}
    source = _source(fmt, mapping)
    report = check(
        Step.DATASET, content_with(config={"trainer": _trainer(fmt)}, dataset={"sources": [source]}), profiled(source)
    )
    assert report.errors == ()


@pytest.mark.parametrize(("fmt", "missing"), [(fmt, role) for fmt, roles in sorted(ROLES.items()) for role in roles])
def test_each_role_of_the_format_must_be_mapped(fmt: str, missing: str) -> None:
    mapping = {role: f"col_{role}" for role in ROLES[fmt] if role != missing}
    source = _source(fmt, mapping)
    content = content_with(config={"trainer": _trainer(fmt)}, dataset={"sources": [source]})
    report = check(Step.DATASET, content, profiled(source))
    assert errors(report) == {("dataset.sources[0].columnMapping", IssueCode.COLUMN_MAPPING_INCOMPLETE)}
    assert missing in report.errors[0].message
    # Incompleteness is for completion only: a save of the same data reports nothing.
    assert check(Step.DATASET, content, profiled(source), for_completion=False).errors == ()


@pytest.mark.parametrize("mapping", [None, {}, {"prompt": "", "completion": "output"}])
def test_absent_or_blank_mappings_are_incomplete(mapping: dict[str, str] | None) -> None:
    report = check(Step.DATASET, content_with(dataset={"sources": [_source("INSTRUCTION", mapping)]}))
    assert errors(report) == {("dataset.sources[0].columnMapping", IssueCode.COLUMN_MAPPING_INCOMPLETE)}


def test_a_role_the_format_does_not_have_only_warns() -> None:
    source = _source("CHAT", {"messages": "messages", "system": "sys"})
    report = check(Step.DATASET, content_with(dataset={"sources": [source]}), profiled(source))
    assert report.errors == ()
    assert ("dataset.sources[0].columnMapping.system", IssueCode.COLUMN_MAPPING_UNUSED_ROLE) in warnings(report)


def test_column_check_is_pending_until_the_dataset_is_profiled() -> None:
    report = check(Step.DATASET, content_with(), Facts(model=MODEL_FACTS))
    assert report.errors == ()
    assert ("dataset.sources[0].columnMapping", IssueCode.DATASET_PROFILE_PENDING) in warnings(report)
    profiled = check(Step.DATASET, content_with())
    assert IssueCode.DATASET_PROFILE_PENDING not in {issue.code for issue in profiled.warnings}


@pytest.mark.parametrize(("weight", "ok"), [(0, False), (-1, False), (0.001, True), (1, True), (10, True)])
def test_source_weights_must_be_positive(weight: float, ok: bool) -> None:
    source = {**VALID["dataset"]["sources"][0], "weight": weight}
    report = check(Step.DATASET, content_with(dataset={"sources": [VALID["dataset"]["sources"][0], source]}))
    if ok:
        assert report.errors == ()
    else:
        assert errors(report) == {("dataset.sources[1].weight", IssueCode.OUT_OF_RANGE)}


@pytest.mark.parametrize(
    ("fraction", "ok"), [(0, False), (-0.1, False), (0.0001, True), (0.25, True), (0.4999, True), (0.5, False)]
)
def test_eval_fraction_is_in_the_open_interval_0_to_half(fraction: float, ok: bool) -> None:
    report = check(Step.DATASET, content_with(dataset={"eval": {"mode": "FRACTION", "fraction": fraction}}))
    if ok:
        assert report.errors == ()
    else:
        assert errors(report) == {("dataset.eval.fraction", IssueCode.OUT_OF_RANGE)}


def test_eval_mode_needs_its_value_at_completion() -> None:
    fraction = check(Step.DATASET, content_with(dataset={"eval": {"mode": "FRACTION"}}))
    assert errors(fraction) == {("dataset.eval.fraction", IssueCode.REQUIRED)}
    split = check(Step.DATASET, content_with(dataset={"eval": {"mode": "SPLIT"}}))
    assert errors(split) == {("dataset.eval.split", IssueCode.REQUIRED)}
    assert check(Step.DATASET, content_with(dataset={"eval": {"mode": "NONE"}})).errors == ()
    assert check(Step.DATASET, content_with(dataset={"eval": {"mode": "SPLIT", "split": "test"}})).errors == ()


@pytest.mark.parametrize("sources", [None, []])
def test_at_least_one_source_is_needed_for_completion(sources: list[Any] | None) -> None:
    content = PackageContent.from_json({**VALID, "dataset": {} if sources is None else {"sources": sources}})
    assert errors(check(Step.DATASET, content)) == {("dataset.sources", IssueCode.DATASET_SOURCE_REQUIRED)}
    assert check(Step.DATASET, content, for_completion=False).errors == ()


@pytest.mark.parametrize(
    ("source", "path"),
    [({"source": "HUB"}, "repoId"), ({"source": "UPLOAD"}, "uploadId"), ({"source": "LOCAL"}, "path")],
)
def test_each_source_kind_needs_its_location(source: dict[str, str], path: str) -> None:
    full = {**source, "format": "COMPLETION", "columnMapping": {"text": "text"}}
    report = check(Step.DATASET, content_with(dataset={"sources": [full]}))
    assert errors(report) == {(f"dataset.sources[0].{path}", IssueCode.REQUIRED)}


# --- repository ids and names -----------------------------------------------------------

VALID_REPO_IDS = [
    "meta-llama/Llama-3.2-1B",
    "tatsu-lab/alpaca",
    "Qwen/Qwen2.5-0.5B-Instruct",
    "user_1/my.model_v2",
    "a/b",
    "o/" + "x" * 94,
]
INVALID_REPO_IDS = [
    "gpt2",
    "/name",
    "owner/",
    "owner//name",
    "a/b/c",
    "owner/na me",
    "-owner/name",
    "owner/name-",
    "owner/.name",
    "owner/na..me",
    "owner/na--me",
    "owner/naé",
    "o/" + "x" * 95,
]


@pytest.mark.parametrize("repo_id", VALID_REPO_IDS)
def test_valid_repo_ids(repo_id: str) -> None:
    model = check(Step.MODEL, content_with(model={"repoId": repo_id}))
    dataset = check(
        Step.DATASET, content_with(dataset={"sources": [{**VALID["dataset"]["sources"][0], "repoId": repo_id}]})
    )
    assert model.errors == ()
    assert dataset.errors == ()


@pytest.mark.parametrize("repo_id", INVALID_REPO_IDS)
def test_invalid_repo_ids(repo_id: str) -> None:
    model = check(Step.MODEL, content_with(model={"repoId": repo_id}), for_completion=False)
    assert errors(model) == {("model.repoId", IssueCode.MODEL_REPO_ID_INVALID)}
    source = {**VALID["dataset"]["sources"][0], "repoId": repo_id}
    dataset = check(Step.DATASET, content_with(dataset={"sources": [source]}), for_completion=False)
    assert errors(dataset) == {("dataset.sources[0].repoId", IssueCode.DATASET_REPO_ID_INVALID)}
    deploy = check(Step.DEPLOY, content_with(deploy={"pushTo": repo_id}), for_completion=False)
    assert errors(deploy) == {("deploy.pushTo", IssueCode.PUSH_TO_INVALID)}


@pytest.mark.parametrize("revision", ["main", "v1.0", "refs/pr/1", "4e20de3" + "0" * 33, "release_2024-01"])
def test_valid_model_revisions(revision: str) -> None:
    assert check(Step.MODEL, content_with(model={"revision": revision})).errors == ()


@pytest.mark.parametrize("revision", ["a..b", "/main", "main/", "x.lock", "has space", "a//b"])
def test_invalid_model_revisions(revision: str) -> None:
    report = check(Step.MODEL, content_with(model={"revision": revision}))
    assert errors(report) == {("model.revision", IssueCode.MODEL_REVISION_INVALID)}


def test_hub_model_resolution_is_pending_without_facts() -> None:
    report = check(Step.MODEL, content_with(), NO_FACTS)
    assert report.errors == ()
    assert warnings(report) == {("model.repoId", IssueCode.MODEL_RESOLUTION_PENDING)}
    # An invalid id is an error, and nothing waits to resolve it.
    invalid = check(Step.MODEL, content_with(model={"repoId": "nope"}), NO_FACTS)
    assert warnings(invalid) == set()


def test_local_model_needs_a_path() -> None:
    local = {"source": "LOCAL", "repoId": None, "revision": None}
    assert errors(check(Step.MODEL, content_with(model=local))) == {("model.path", IssueCode.REQUIRED)}
    with_path = check(Step.MODEL, content_with(model={**local, "path": "/models/llama"}), NO_FACTS)
    assert with_path.errors == ()
    assert warnings(with_path) == {("model.path", IssueCode.MODEL_RESOLUTION_PENDING)}


@pytest.mark.parametrize("name", ["my-space", "Space_1.v2", "x", "a" * 96])
def test_valid_space_owner_and_name(name: str) -> None:
    report = check(Step.DEPLOY, content_with(deploy={"space": {"owner": name, "name": name}}))
    assert report.errors == ()


@pytest.mark.parametrize("name", ["my space", "-space", "space-", "a/b", "sp..ace", "a" * 97, "spåce"])
def test_invalid_space_owner_and_name(name: str) -> None:
    bad_name = check(Step.DEPLOY, content_with(deploy={"space": {"name": name}}))
    assert errors(bad_name) == {("deploy.space.name", IssueCode.SPACE_NAME_INVALID)}
    bad_owner = check(Step.DEPLOY, content_with(deploy={"space": {"owner": name}}))
    assert errors(bad_owner) == {("deploy.space.owner", IssueCode.SPACE_OWNER_INVALID)}


# --- deploy -----------------------------------------------------------------------------


def test_unknown_hardware_is_an_error() -> None:
    report = check(Step.DEPLOY, content_with(deploy={"space": {"hardware": "h200-huge"}}))
    assert errors(report) == {("deploy.space.hardware", IssueCode.HARDWARE_UNKNOWN)}
    assert "t4-small" in report.errors[0].message


def test_hardware_is_judged_against_the_catalogue_in_use() -> None:
    # A refreshed catalogue (Facts.hardware_names) replaces the default table: a flavour the Hub
    # added is known, one it dropped is not, and the message lists the catalogue's own flavours.
    refreshed = replace(FACTS, hardware_names=("cpu-basic", "h200x1", "a10g-large"))
    added = check(Step.DEPLOY, content_with(deploy={"space": {"hardware": "h200x1"}}), refreshed)
    assert ("deploy.space.hardware", IssueCode.HARDWARE_UNKNOWN) not in errors(added)
    dropped = check(Step.DEPLOY, content_with(deploy={"space": {"hardware": "t4-small"}}), refreshed)
    assert ("deploy.space.hardware", IssueCode.HARDWARE_UNKNOWN) in errors(dropped)
    unknown = next(issue for issue in dropped.errors if issue.code is IssueCode.HARDWARE_UNKNOWN)
    assert unknown.message.endswith("choose one of cpu-basic, h200x1, a10g-large.")
    default = check(Step.DEPLOY, content_with(deploy={"space": {"hardware": "h200x1"}}))
    assert ("deploy.space.hardware", IssueCode.HARDWARE_UNKNOWN) in errors(default)


def test_hardware_fit_waits_for_the_estimate_then_decides() -> None:
    pending = check(Step.DEPLOY, content_with(), Facts(secret_names=frozenset({"HF_TOKEN"})))
    assert pending.errors == ()
    assert warnings(pending) == {("deploy.space.hardware", IssueCode.HARDWARE_FIT_PENDING)}
    too_small = check(Step.DEPLOY, content_with(deploy={"space": {"hardware": "t4-small"}}))
    assert errors(too_small) == {("deploy.space.hardware", IssueCode.HARDWARE_TOO_SMALL)}
    fits = check(Step.DEPLOY, content_with())
    assert fits.errors == ()
    assert fits.warnings == ()


def test_hub_token_secret_must_exist() -> None:
    missing = check(Step.DEPLOY, content_with(deploy={"hubTokenSecret": "OTHER"}))
    assert errors(missing) == {("deploy.hubTokenSecret", IssueCode.HUB_TOKEN_SECRET_MISSING)}
    pending = check(Step.DEPLOY, content_with(), Facts(estimate=estimate_facts({"a10g-small": True})))
    assert warnings(pending) == {("deploy.hubTokenSecret", IssueCode.HUB_TOKEN_SECRET_PENDING)}


def test_a_space_needs_owner_name_hardware_and_token_at_completion() -> None:
    content = content_with(deploy={"space": None, "hubTokenSecret": None})
    assert errors(check(Step.DEPLOY, content)) == {
        ("deploy.space.owner", IssueCode.REQUIRED),
        ("deploy.space.name", IssueCode.REQUIRED),
        ("deploy.space.hardware", IssueCode.REQUIRED),
        ("deploy.hubTokenSecret", IssueCode.REQUIRED),
    }
    assert check(Step.DEPLOY, content, for_completion=False).errors == ()


def test_a_local_bundle_needs_no_space() -> None:
    report = check(Step.DEPLOY, PackageContent.from_json({"deploy": {"target": "LOCAL_BUNDLE"}}), NO_FACTS)
    assert report.errors == ()
    assert report.warnings == ()


@pytest.mark.parametrize(("budget", "ok"), [(0, False), (-5, False), (0.01, True), (1_000_000, True), (1e7, False)])
def test_budget_must_be_positive(budget: float, ok: bool) -> None:
    cheap = replace(FACTS, estimate=estimate_facts({"a10g-small": True}, usd={"a10g-small": 0.001}))
    report = check(Step.DEPLOY, content_with(deploy={"budgetUsd": budget}), cheap)
    assert (("deploy.budgetUsd", IssueCode.OUT_OF_RANGE) not in errors(report)) is ok
    assert report.valid is ok


# --- completion-only findings and severities --------------------------------------------


@pytest.mark.parametrize(
    ("step", "required"),
    [
        (Step.MODEL, {("model.source", IssueCode.REQUIRED)}),
        (
            Step.CONFIG,
            {
                ("config.method", IssueCode.REQUIRED),
                ("config.trainer", IssueCode.REQUIRED),
                ("config.epochs", IssueCode.REQUIRED),
                ("config.learningRate", IssueCode.REQUIRED),
                ("config.batchSize", IssueCode.REQUIRED),
                ("config.maxSeqLength", IssueCode.REQUIRED),
            },
        ),
        (Step.DATASET, {("dataset.sources", IssueCode.DATASET_SOURCE_REQUIRED)}),
        (Step.DEPLOY, {("deploy.target", IssueCode.REQUIRED)}),
    ],
)
def test_required_findings_only_when_completing(step: Step, required: set[tuple[str, IssueCode]]) -> None:
    empty = PackageContent()
    assert errors(check(step, empty, NO_FACTS)) == required
    at_save = check(step, empty, NO_FACTS, for_completion=False)
    assert at_save.errors == ()
    assert at_save.valid


def test_a_hub_model_needs_a_repo_id_at_completion() -> None:
    content = PackageContent.from_json({"model": {"source": "HUB"}})
    assert errors(check(Step.MODEL, content)) == {("model.repoId", IssueCode.REQUIRED)}
    assert check(Step.MODEL, content, for_completion=False).errors == ()


def test_blank_strings_count_as_missing() -> None:
    content = PackageContent.from_json({"model": {"source": "HUB", "repoId": ""}})
    assert errors(check(Step.MODEL, content)) == {("model.repoId", IssueCode.REQUIRED)}


def test_warnings_and_pending_findings_never_block() -> None:
    content = content_with(
        config={"method": "FULL", "lora": {"r": 8}},
        dataset={"sources": [_source("CHAT", {"messages": "m", "extra": "e"})]},
        deploy={"budgetUsd": 50},
    )
    for step in Step:
        report = check(step, content, NO_FACTS)
        assert report.warnings, step
        assert all(issue.severity in (Severity.WARNING, Severity.PENDING) for issue in report.warnings)
        assert report.errors == ()
        assert report.valid


def test_errors_always_have_error_severity() -> None:
    content = content_with(config={"epochs": 0, "method": "QLORA", "quantBits": 8, "maxSeqLength": 10**6})
    report = check(Step.CONFIG, content)
    assert len(report.errors) == 3
    assert all(issue.severity is Severity.ERROR for issue in report.errors)
