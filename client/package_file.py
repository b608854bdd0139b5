"""The declarative package file of ``trainpack apply``: read with line numbers kept.

The file names the package and holds the four step blocks as the API takes them::

    name: llama-lora-alpaca        # found by name; created when missing
    description: optional words
    model:   {source: HUB, repoId: meta-llama/Llama-3.2-1B}
    config:  {method: LORA, ...}
    dataset: {sources: [...]}
    deploy:  {target: LOCAL_BUNDLE}

ruamel.yaml keeps where every key and item was written, so an issue the server reports at a
path such as ``config.lora.r`` or ``dataset.sources[0].repoId`` is shown at its YAML line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

STEPS = ("model", "config", "dataset", "deploy")
_TOP_LEVEL = {"name", "description", *STEPS}
_SEGMENT = re.compile(r"[^.\[\]]+")


class PackageFileError(Exception):
    """The file cannot be read as a package file; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class PackageFile:
    """What the file asks for, and its parsed tree for line look-ups."""

    path: Path
    name: str
    description: str | None
    steps: dict[str, dict[str, Any]]
    tree: CommentedMap

    def line_of(self, issue_path: str) -> int | None:
        """The 1-based line of the deepest node of ``issue_path`` that the file has."""
        node: Any = self.tree
        line: int | None = None
        for segment in _SEGMENT.findall(issue_path):
            if isinstance(node, CommentedMap) and segment in node:
                line = node.lc.key(segment)[0] + 1
                node = node[segment]
            elif isinstance(node, CommentedSeq) and segment.isdigit() and int(segment) < len(node):
                line = node.lc.item(int(segment))[0] + 1
                node = node[int(segment)]
            else:
                break
        return line


def _plain(value: Any) -> Any:
    """ruamel's round-trip containers as plain dicts and lists (JSON for the API)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def load(path: Path) -> PackageFile:
    """Parse ``path``; a malformed file raises ``PackageFileError`` naming the line."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise PackageFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        tree = YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise PackageFileError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", line) from None
    if not isinstance(tree, CommentedMap):
        raise PackageFileError("the file must be a mapping with name, model, config, dataset, deploy", 1)
    for key in tree:
        if key not in _TOP_LEVEL:
            raise PackageFileError(
                f"unknown key {key!r} (allowed: {', '.join(sorted(_TOP_LEVEL))})", tree.lc.key(key)[0] + 1
            )
    name = tree.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PackageFileError("`name` is required: apply finds the package by it", 1)
    description = tree.get("description")
    if description is not None and not isinstance(description, str):
        raise PackageFileError("`description` must be text", tree.lc.key("description")[0] + 1)
    steps: dict[str, dict[str, Any]] = {}
    for step in STEPS:
        if step in tree:
            block = tree[step]
            if not isinstance(block, CommentedMap):
                raise PackageFileError(f"`{step}` must be a mapping", tree.lc.key(step)[0] + 1)
            steps[step] = _plain(block)
    return PackageFile(path=path, name=name, description=description, steps=steps, tree=tree)


def patch_for(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """The save patch that turns ``current`` into ``desired``: saves merge, so a key the file
    no longer has is sent as an explicit null to clear it (lists are replaced whole anyway)."""
    patch: dict[str, Any] = {}
    for key, value in desired.items():
        before = current.get(key)
        if isinstance(value, dict) and isinstance(before, dict):
            patch[key] = patch_for(before, value)
        else:
            patch[key] = value
    for key in current:
        if key not in desired:
            patch[key] = None
    return patch
