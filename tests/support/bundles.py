"""Bundle inputs for tests, and the rendered bundle's files unpacked or imported as modules."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import sys
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from workflow.core.bundle import BundleInputs, DatasetFile, DatasetPin, HubDatasetPin
from workflow.core.bundle.inputs import FileFormat
from workflow.facts import ModelFacts
from workflow.hashing import content_hash
from workflow.steps import PackageContent

MODEL_SHA = "4e20de362430cd3b72f300e6b0f18e50e7166e08"
DATASET_SHA = "0b9d3ed4d0ab7f0c8b5e5e6cf2bd1c6f2a1f2c3d"
UPLOAD_ID = "6f1c2b8e-5d0a-4c3e-9a7b-2e4f6a8c0d12"
"""An uploaded file's id, as step data names it."""

SOURCES_BY_FORMAT: dict[str, dict[str, Any]] = {
    "CHAT": {"format": "CHAT", "columnMapping": {"messages": "conversation"}},
    "INSTRUCTION": {"format": "INSTRUCTION", "columnMapping": {"prompt": "ask", "completion": "reply"}},
    "COMPLETION": {"format": "COMPLETION", "columnMapping": {"text": "body"}},
    "PREFERENCE": {"format": "PREFERENCE", "columnMapping": {"prompt": "q", "chosen": "good", "rejected": "bad"}},
}
"""One source of each format, mapped to column names unlike the roles (so a mapping shows)."""


def config(**changes: Any) -> dict[str, Any]:
    """A complete step 2 (LoRA SFT), with ``changes`` applied."""
    base: dict[str, Any] = {
        "method": "LORA",
        "trainer": "SFT",
        "epochs": 1,
        "learningRate": 5e-3,
        "batchSize": 8,
        "maxSeqLength": 128,
        "lora": {"r": 8},
    }
    return {**base, **changes}


def package_content(
    *,
    sources: Sequence[Mapping[str, Any]],
    config_changes: Mapping[str, Any] | None = None,
    evaluation: Mapping[str, Any] | None = None,
    deploy: Mapping[str, Any] | None = None,
    repo_id: str = "trainpack-tests/tiny-llama",
) -> PackageContent:
    """A version's content: a Hub model, the given sources and settings."""
    return PackageContent.from_json(
        {
            "model": {"source": "HUB", "repoId": repo_id, "revision": "main"},
            "config": config(**(config_changes or {})),
            "dataset": {"sources": list(sources), "eval": dict(evaluation or {"mode": "NONE"})},
            "deploy": dict(deploy or {"target": "LOCAL_BUNDLE"}),
        }
    )


def model_facts(*, sha: str = MODEL_SHA, licence: str | None = "apache-2.0") -> ModelFacts:
    """A resolved model's facts."""
    return ModelFacts(
        resolved_sha=sha,
        context_length=256,
        module_names=frozenset({"q_proj", "k_proj", "v_proj", "o_proj"}),
        parameter_count=93_000,
        licence=licence,
        architecture="LlamaForCausalLM",
    )


def uploaded(filename: str, content: bytes, file_format: FileFormat = "JSONL") -> DatasetFile:
    """An upload row's file, with the sha256 recorded at upload time."""
    return DatasetFile(filename, file_format, content, hashlib.sha256(content).hexdigest())


def bundle_inputs(
    content: PackageContent,
    pins: Sequence[DatasetPin],
    *,
    name: str = "tiny-llama-lora-chat-20261201",
    version: int = 1,
    model: ModelFacts | None = None,
    estimate: Mapping[str, str | int | float | bool] | None = None,
) -> BundleInputs:
    """The inputs of one version's bundle."""
    return BundleInputs(
        package_name=name,
        version=version,
        content_hash=content_hash(content),
        content=content,
        model=model or model_facts(),
        datasets=tuple(pins),
        estimate=estimate,
    )


def hub_source(fmt: str, repo_id: str = "trainpack-tests/data") -> tuple[dict[str, Any], HubDatasetPin]:
    """A HUB source of ``fmt`` and its pin."""
    return {"source": "HUB", "repoId": repo_id, **SOURCES_BY_FORMAT[fmt]}, HubDatasetPin(DATASET_SHA)


def unpack(archive: bytes, folder: Path) -> Path:
    """Extract a packed bundle into ``folder`` (the tar ``data`` filter: no escaping paths)."""
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        tar.extractall(folder, filter="data")
    return folder


def import_file(path: Path, name: str) -> ModuleType:
    """Import a bundle's Python file (``train.py``, ``status.py``) as a module of its own."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file executes
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def reference_inputs() -> BundleInputs:
    """One fixed version with an uploaded file, a Hub source and an estimate: the reproducibility case."""
    chat = b'{"conversation": [{"role": "user", "content": "Hi \\u00e9"}, {"role": "assistant", "content": "Yo"}]}\n'
    hub, pin = hub_source("INSTRUCTION")
    content = package_content(
        sources=[{"source": "UPLOAD", "uploadId": UPLOAD_ID, **SOURCES_BY_FORMAT["CHAT"]}, {**hub, "weight": 0.5}],
        evaluation={"mode": "FRACTION", "fraction": 0.1},
        deploy={"target": "HF_SPACE", "pushTo": "acme/out", "space": {"owner": "acme", "name": "tiny"}},
    )
    return bundle_inputs(content, [uploaded("chat.jsonl", chat), pin], estimate={"hardware": "t4-small", "hours": 0.2})
