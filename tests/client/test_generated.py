"""The committed SDK is what ariadne-codegen makes of today's schema and documents."""

from __future__ import annotations

import filecmp
from pathlib import Path

from client.codegen import GENERATED, generate


def _files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*.py"))}


def test_regenerating_the_client_gives_the_committed_files(tmp_path: Path) -> None:
    fresh = generate(tmp_path)
    committed, regenerated = _files(GENERATED), _files(fresh)
    assert sorted(committed) == sorted(regenerated), "run `python3 -m client.codegen` and commit client/generated"
    differing = [name for name in committed if committed[name] != regenerated[name]]
    assert differing == [], f"client/generated drifted in {differing}: run `python3 -m client.codegen`"
    assert not filecmp.dircmp(GENERATED, fresh).diff_files
