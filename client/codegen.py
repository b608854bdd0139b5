"""Regenerate ``client/generated`` from ``schema.graphql`` and ``client/documents``.

ariadne-codegen needs graphql-core 3.2 (it edits the AST that 3.3 freezes) while the server's
strawberry needs 3.3, so it cannot live in the project's environment: it runs in an isolated
tool environment with every version pinned here, and the drift test runs this same command.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ROOT / "client" / "generated"
TOOL = (
    "--from",
    "ariadne-codegen==0.19.0",
    "--with",
    "graphql-core==3.2.7",
    "--with",
    "ruff==0.15.0",
    "--with",
    "websockets==17.4",
    "ariadne-codegen",
)
_CONFIG = """[tool.ariadne-codegen]
schema_path = "{schema}"
queries_path = "{documents}"
target_package_name = "generated"
target_package_path = "{target}"
client_name = "GraphQLClient"
async_client = true
include_comments = "none"
convert_to_snake_case = true

[tool.ariadne-codegen.scalars.JSON]
type = "typing.Any"

[tool.ariadne-codegen.scalars.DateTime]
type = "datetime.datetime"
"""


def _uv() -> str:
    beside = Path(sys.executable).parent / "uv"
    found = str(beside) if beside.exists() else shutil.which("uv")
    if found is None:
        raise RuntimeError("uv is needed to run ariadne-codegen (python3 run.py installs it into .venv)")
    return found


def generate(target_parent: Path) -> Path:
    """Write the generated package into ``target_parent/generated``; its path."""
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "codegen.toml"
        config.write_text(
            _CONFIG.format(
                schema=ROOT / "schema.graphql", documents=ROOT / "client" / "documents", target=target_parent
            )
        )
        subprocess.run([_uv(), "tool", "run", *TOOL, "--config", str(config)], check=True, capture_output=True)
    return target_parent / "generated"


def main() -> None:
    """Replace the committed package with a fresh generation."""
    with tempfile.TemporaryDirectory() as folder:
        fresh = generate(Path(folder))
        shutil.rmtree(GENERATED, ignore_errors=True)
        shutil.copytree(fresh, GENERATED)


if __name__ == "__main__":
    main()
