"""Resolve a HUB model with huggingface_hub: commit, safetensors headers, config, licence, gating."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import NotASafetensorsRepoError, SafetensorsParsingError

from workers.integrations.errors import IntegrationError
from workers.integrations.hub_errors import hub_errors
from workflow.facts import ModelFacts
from workflow.models import Tensor, model_facts

TIMEOUT = 10.0


def resolve_hub_model(repo_id: str, revision: str, *, endpoint: str, token: str | None) -> ModelFacts:
    """The model at ``revision`` (pinned to its commit for every later read)."""
    api = HfApi(endpoint=endpoint, token=token)
    with hub_errors(f"model {repo_id}@{revision}"):
        info = api.model_info(repo_id, revision=revision, files_metadata=True, timeout=TIMEOUT)
        sha = info.sha or revision
        try:
            metadata = api.get_safetensors_metadata(repo_id, revision=sha, timeout=TIMEOUT)
        except NotASafetensorsRepoError:
            raise IntegrationError("MODEL_WEIGHTS_MISSING", f"{repo_id} has no safetensors weights.") from None
        except SafetensorsParsingError as exc:
            raise IntegrationError("MODEL_WEIGHTS_INVALID", f"{repo_id} has unreadable safetensors: {exc}") from None
        with tempfile.TemporaryDirectory(prefix="trainpack-config-") as folder:
            try:
                config_path = hf_hub_download(
                    repo_id, "config.json", revision=sha, endpoint=endpoint, token=token, cache_dir=folder
                )
            except Exception as exc:
                if type(exc).__name__ in ("EntryNotFoundError", "RemoteEntryNotFoundError"):
                    raise IntegrationError("MODEL_CONFIG_MISSING", f"{repo_id} has no config.json.") from None
                raise
            config = _config(Path(config_path))
    tensors = {
        name: Tensor(tensor.dtype, tuple(tensor.shape))
        for file in metadata.files_metadata.values()
        for name, tensor in file.tensors.items()
    }
    siblings = info.siblings or []
    size = sum(sibling.size or 0 for sibling in siblings if sibling.rfilename.endswith(".safetensors"))
    return model_facts(
        sha=sha,
        tensors=tensors,
        config=config,
        licence=_licence(info.card_data, info.tags),
        gated=bool(info.gated),
        size_bytes=size or None,
    )


def _config(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise IntegrationError("MODEL_CONFIG_INVALID", f"config.json is not valid JSON: {exc}.") from None
    if not isinstance(config, dict):
        raise IntegrationError("MODEL_CONFIG_INVALID", "config.json must hold a JSON object.")
    return config


def _licence(card_data: Any, tags: list[str] | None) -> str | None:
    licence = getattr(card_data, "license", None) if card_data is not None else None
    if isinstance(licence, str) and licence:
        return licence
    return next((tag.split(":", 1)[1] for tag in tags or [] if tag.startswith("license:")), None)
