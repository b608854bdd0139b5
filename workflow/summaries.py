"""One-line summaries for a collapsed step header, e.g. ``meta-llama/Llama-3.2-1B @ main``."""

from __future__ import annotations

from workflow.facts import Facts
from workflow.steps import PackageContent, Step


def summarize(step: Step, content: PackageContent, facts: Facts) -> str | None:
    """A short human description of what the step holds, or ``None`` when it is empty."""
    match step:
        case Step.MODEL:
            return _model(content, facts)
        case Step.CONFIG:
            return _config(content)
        case Step.DATASET:
            return _dataset(content, facts)
        case Step.DEPLOY:
            return _deploy(content)


def _model(content: PackageContent, facts: Facts) -> str | None:
    model = content.model
    name = model.repo_id if model.source != "LOCAL" else model.path
    if not name:
        return None
    if model.source == "LOCAL":
        return f"local: {name}"
    at = facts.model.resolved_sha[:7] if facts.model else (model.revision or "main")
    text = f"{name} @ {at}"
    if facts.model and facts.model.parameter_count:
        text += f" · {facts.model.parameter_count / 1e9:.2f} B params"
    return text


def _config(content: PackageContent) -> str | None:
    config = content.config
    parts: list[str] = []
    if config.method:
        method = {"FULL": "Full", "LORA": "LoRA", "QLORA": "QLoRA"}[config.method]
        if config.method != "FULL" and config.lora and config.lora.r:
            method += f" r={config.lora.r}"
        parts.append(method)
    if config.trainer:
        parts.append(config.trainer)
    if config.epochs is not None:
        parts.append(f"{config.epochs:g} epoch{'s' if config.epochs != 1 else ''}")
    if config.learning_rate is not None:
        parts.append(f"lr {config.learning_rate:g}")
    return " · ".join(parts) or None


def _dataset(content: PackageContent, facts: Facts) -> str | None:
    sources = content.dataset.sources or []
    names = [source.repo_id or source.upload_id or source.path for source in sources]
    shown = [name for name in names if name]
    if not shown:
        return None
    first = sources[0]
    text = shown[0] + (f" ({first.split})" if first.split else "")
    profile = facts.datasets.get(0) if facts.datasets is not None else None
    if profile is not None and names[0]:
        text += f" · {profile.rows:,} row{'s' if profile.rows != 1 else ''}"
    if first.format:
        text += f" · {first.format}"
    if len(shown) > 1:
        text += f" · +{len(shown) - 1} more"
    return text


def _deploy(content: PackageContent) -> str | None:
    deploy = content.deploy
    if deploy.target == "LOCAL_BUNDLE":
        return "Local bundle"
    if deploy.target == "HF_SPACE":
        space = deploy.space
        where = f"{space.owner}/{space.name}" if space and space.owner and space.name else "(unnamed)"
        text = f"HF Space {where}"
        if space and space.hardware:
            text += f" · {space.hardware}"
        if deploy.budget_usd is not None:
            text += f" · budget ${deploy.budget_usd:g}"
        return text
    return None
