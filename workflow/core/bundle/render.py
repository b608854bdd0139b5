"""Render a published version into its bundle: every file, from the inputs alone (pure).

The files: ``train.yaml`` (the plan in TRL's config format), ``datasets.json`` and ``data/``
(the pinned sources), ``train.py`` and ``status.py`` (shipped as they are), ``requirements.txt``
(the pinned stack), ``Dockerfile``, ``README.md`` (Spaces header and model card) and
``manifest.json`` (every other file's sha256 and size).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files as package_files

from workflow.core.bundle.archive import BUNDLE_FORMAT_VERSION, Bundle, assemble, json_bytes
from workflow.core.bundle.card import readme
from workflow.core.bundle.datasets_file import datasets_document
from workflow.core.bundle.errors import BundleInputError
from workflow.core.bundle.inputs import COMMIT_SHA, BundleInputs
from workflow.core.bundle.space import dockerfile
from workflow.core.bundle.train_config import train_config
from workflow.core.bundle.yaml_text import render_yaml
from workflow.core.training import TrainingPlan, plan_training, requirements

TEMPLATES = ("train.py", "status.py")


def render_bundle(inputs: BundleInputs) -> Bundle:
    """The bundle of one version; ``BundleInputError`` when the inputs do not describe a run."""
    plan = _plan(inputs)
    datasets, data_files = datasets_document(inputs, plan)
    rendered: dict[str, bytes] = {
        "train.yaml": render_yaml(train_config(inputs, plan)).encode(),
        "datasets.json": json_bytes(datasets),
        "requirements.txt": ("\n".join(requirements(plan)) + "\n").encode(),
        "Dockerfile": dockerfile(with_data=bool(data_files)).encode(),
        "README.md": readme(inputs, plan, datasets, BUNDLE_FORMAT_VERSION).encode(),
        **{name: template(name) for name in TEMPLATES},
        **data_files,
    }
    return assemble(rendered, package=inputs.package_name, version=inputs.version, content_hash=inputs.content_hash)


@cache
def template(name: str) -> bytes:
    """A file shipped as it is, with ``\\n`` line ends whatever the checkout did to them."""
    raw = (package_files("workflow.core.bundle.templates") / name).read_bytes()
    return raw.replace(b"\r\n", b"\n")


def _plan(inputs: BundleInputs) -> TrainingPlan:
    plan = plan_training(inputs.content.config)
    if plan is None:
        raise BundleInputError("The training configuration is incomplete or invalid.", code="BUNDLE_CONFIG_INCOMPLETE")
    model = inputs.content.model
    if model.source == "HUB":
        if not model.repo_id or not COMMIT_SHA.fullmatch(inputs.model.resolved_sha):
            raise BundleInputError(
                "The base model must be resolved to a commit sha before it is bundled.", code="BUNDLE_MODEL_UNPINNED"
            )
    elif model.source == "LOCAL":
        if inputs.content.deploy.target == "HF_SPACE":
            raise BundleInputError(
                "A Space cannot reach a local model: choose a Hub model to deploy to a Space.",
                code="BUNDLE_MODEL_NOT_ON_HUB",
            )
    else:
        raise BundleInputError("The version names no base model.", code="BUNDLE_MODEL_UNPINNED")
    return plan
