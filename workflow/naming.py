"""Auto-generated package names: ``{model}-{method}-{dataset}-{yyyymmdd}``, slugified.

The name follows the selections until the user sets one; collisions get ``-2``, ``-3``….
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date

from workflow.steps import PackageContent

PLACEHOLDER = "untitled-package"
MAX_NAME_LENGTH = 100
_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by single hyphens (``Llama-3.2-1B`` → ``llama-3-2-1b``)."""
    return _NON_SLUG.sub("-", text.lower()).strip("-")


def _last_segment(reference: str) -> str:
    return reference.rstrip("/").rsplit("/", 1)[-1]


def naming_upload(content: PackageContent) -> str | None:
    """The upload the name would be made from (the first dataset source's), if any: the name
    uses its file name, which the caller looks up."""
    sources = content.dataset.sources or []
    return sources[0].upload_id if sources and not (sources[0].repo_id or sources[0].path) else None


def auto_name(content: PackageContent, created_on: date, upload_names: Mapping[str, str] | None = None) -> str:
    """The name the selections imply, or a readable placeholder before anything is chosen.

    An uploaded dataset is named by its file name without the extension (``upload_names``: upload
    id to file name), never by its id.
    """
    model = content.model
    model_ref = model.path if model.source == "LOCAL" else model.repo_id
    sources = content.dataset.sources or []
    first = sources[0] if sources else None
    dataset_ref = (first.repo_id or first.path or _upload_label(first.upload_id, upload_names)) if first else None
    parts = [
        slugify(_last_segment(model_ref)) if model_ref else "",
        slugify(content.config.method) if content.config.method else "",
        slugify(_last_segment(dataset_ref)) if dataset_ref else "",
    ]
    stem = "-".join(part for part in parts if part) or PLACEHOLDER
    suffix = created_on.strftime("%Y%m%d")
    return f"{stem[: MAX_NAME_LENGTH - len(suffix) - 5].strip('-')}-{suffix}"


def _upload_label(upload_id: str | None, names: Mapping[str, str] | None) -> str | None:
    if upload_id is None:
        return None
    filename = (names or {}).get(upload_id)
    if not filename:
        return "upload"
    stem, dot, _ = filename.rpartition(".")
    return stem if dot and stem else filename


def first_free(base: str, taken: Collection[str]) -> str:
    """``base`` if free, else ``base-2``, ``base-3``… — the first one not in ``taken``."""
    if base not in taken:
        return base
    counter = 2
    while _numbered(base, counter) in taken:
        counter += 1
    return _numbered(base, counter)


def _numbered(base: str, counter: int) -> str:
    """``base-N``, shortening ``base`` so the result stays within the name length limit."""
    suffix = f"-{counter}"
    return base[: MAX_NAME_LENGTH - len(suffix)].rstrip("-") + suffix


_NAME = re.compile(r"^\S(?:.{0,98}\S)?$")


def name_problem(name: str) -> str | None:
    """Why an explicit name is unacceptable, or ``None`` when it is fine."""
    if not name.strip():
        return "The name cannot be empty."
    if len(name) > MAX_NAME_LENGTH:
        return f"The name is longer than {MAX_NAME_LENGTH} characters."
    if not _NAME.fullmatch(name) or any(ord(char) < 32 for char in name):
        return "The name cannot start or end with spaces or contain control characters."
    return None
