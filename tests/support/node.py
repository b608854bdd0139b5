"""The npm project in ``tests/node``: installed from its lock file when a package is missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parent.parent / "node"
NODE = shutil.which("node")
NPM = shutil.which("npm")

needs_node = pytest.mark.skipif(NODE is None or NPM is None, reason="Node.js is not installed")


def node_project(*packages: str) -> Path:
    """``tests/node`` with ``packages`` installed (``npm ci`` from the lock file if any is missing)."""
    if NPM is None:
        raise RuntimeError("npm is not installed")
    if not all((NODE_DIR / "node_modules" / package / "package.json").exists() for package in packages):
        subprocess.run(
            [NPM, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, capture_output=True, timeout=300
        )
    return NODE_DIR


def node_binary() -> str:
    """The ``node`` executable (tests using it are marked ``needs_node``)."""
    if NODE is None:
        raise RuntimeError("node is not installed")
    return NODE
