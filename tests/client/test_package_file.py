"""The package file: steps read as JSON, issue paths placed at their YAML lines, save patches."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from client.package_file import PackageFileError, load, patch_for

ROOT = Path(__file__).resolve().parents[2]
FILE = """\
name: placed
model:
  source: HUB
  repoId: acme/tiny
config:
  epochs: 3
  lora:
    r: 0
dataset:
  sources:
    - source: HUB
      repoId: acme/one
    - source: UPLOAD
      uploadId: nope
"""


def test_issue_paths_are_placed_at_their_lines(tmp_path: Path) -> None:
    package = load(_write(tmp_path, FILE))
    assert package.name == "placed"
    assert package.steps["config"] == {"epochs": 3, "lora": {"r": 0}}
    assert package.line_of("config.lora.r") == 8
    assert package.line_of("dataset.sources[1].uploadId") == 14
    assert package.line_of("dataset.sources.0.repoId") == 12
    assert package.line_of("dataset.sources[1]") == 13
    assert package.line_of("config.lora.alpha") == 7  # missing: the nearest enclosing key
    assert package.line_of("deploy.target") is None


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "package.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("name: x\nmodel:\n  source: [HUB\n", 4, "not valid YAML"),
        ("name: x\ncolour: red\n", 2, "unknown key 'colour'"),
        ("model: {source: HUB}\n", 1, "`name` is required"),
        ("name: x\nconfig: 3\n", 2, "`config` must be a mapping"),
        ("- a\n- b\n", 1, "must be a mapping"),
    ],
)
def test_a_malformed_file_names_its_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    with pytest.raises(PackageFileError) as raised:
        load(_write(tmp_path, text))
    assert fragment in str(raised.value)
    assert raised.value.line == line


def test_a_patch_clears_what_the_file_no_longer_has() -> None:
    current = {"epochs": 3, "lora": {"r": 16, "alpha": 32}, "seed": 1}
    desired = {"epochs": 3, "lora": {"r": 8}}
    assert patch_for(current, desired) == {"epochs": 3, "lora": {"r": 8, "alpha": None}, "seed": None}
    assert patch_for({}, desired) == desired


def test_the_readme_package_file_loads(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```yaml\n(name: llama-lora-alpaca.*?)```", readme, re.DOTALL)
    assert block is not None
    package = load(_write(tmp_path, block.group(1)))
    assert set(package.steps) == {"model", "config", "dataset", "deploy"}
