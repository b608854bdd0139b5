"""LOCAL models and datasets are read only from the configured folders (``TRAINPACK_LOCAL_ROOTS``)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.support.model_files import tiny_llama
from trainpack.settings import load_settings
from workers.datasets import _profile_local
from workers.integrations.dataset_files import Limits
from workers.integrations.errors import IntegrationError
from workers.integrations.local_models import resolve_local_model
from workers.integrations.local_paths import confined

CSV = "prompt,completion\nhello,world\nbonjour,monde\n"


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """An allowed root and a sibling folder outside it, each with a CSV file."""
    root, outside = tmp_path / "allowed", tmp_path / "secret"
    for folder in (root, outside):
        folder.mkdir()
        (folder / "data.csv").write_text(CSV)
    return root, outside


def refused(location: str | Path, roots: list[Path]) -> IntegrationError:
    with pytest.raises(IntegrationError) as caught:
        confined(location, roots)
    return caught.value


def test_a_path_inside_a_root_comes_back_resolved(folders: tuple[Path, Path]) -> None:
    root, _ = folders
    (root / "sub").mkdir()
    assert confined(root / "sub" / ".." / "data.csv", [root]) == (root / "data.csv").resolve()
    assert confined(root, [root]) == root.resolve()


def test_a_second_root_is_allowed_too(folders: tuple[Path, Path]) -> None:
    root, outside = folders
    assert confined(outside / "data.csv", [root, outside]) == (outside / "data.csv").resolve()


def test_paths_outside_every_root_are_refused_with_their_code(folders: tuple[Path, Path]) -> None:
    root, outside = folders
    (root / "escape.csv").symlink_to(outside / "data.csv")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    for location in (
        outside / "data.csv",  # plainly elsewhere
        root / ".." / "secret" / "data.csv",  # climbing out
        root / "escape.csv",  # a link inside pointing out
        root / "linked" / "data.csv",  # through a linked folder
        Path("/etc/passwd"),
    ):
        error = refused(location, [root])
        assert error.code == "LOCAL_PATH_FORBIDDEN" and not error.transient
        assert "TRAINPACK_LOCAL_ROOTS" in error.message


def test_a_root_that_only_shares_a_name_prefix_does_not_cover_its_neighbour(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data-private").mkdir()
    assert refused(tmp_path / "data-private", [tmp_path / "data"]).code == "LOCAL_PATH_FORBIDDEN"


def test_a_local_dataset_outside_the_roots_is_never_read(folders: tuple[Path, Path]) -> None:
    root, outside = folders
    profile = _profile_local(str(root / "data.csv"), [root], Limits(), threading.Event())
    assert profile.rows == 2
    with pytest.raises(IntegrationError) as caught:
        _profile_local(str(outside / "data.csv"), [root], Limits(), threading.Event())
    assert caught.value.code == "LOCAL_PATH_FORBIDDEN"


def test_a_local_model_outside_the_roots_or_linking_out_is_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "allowed", tmp_path / "secret"
    root.mkdir()
    outside.mkdir()
    inside_model = tiny_llama().write(root / "model")
    assert resolve_local_model(str(inside_model), [root]).context_length
    outside_model = tiny_llama().write(outside / "model")
    with pytest.raises(IntegrationError) as caught:
        resolve_local_model(str(outside_model), [root])
    assert caught.value.code == "LOCAL_PATH_FORBIDDEN"
    # A model folder inside whose config.json is a link to a file outside.
    linking = root / "linking"
    linking.mkdir()
    for weight in inside_model.glob("*.safetensors"):
        (linking / weight.name).write_bytes(weight.read_bytes())
    (linking / "config.json").symlink_to(outside_model / "config.json")
    with pytest.raises(IntegrationError) as caught:
        resolve_local_model(str(linking), [root])
    assert caught.value.code == "LOCAL_PATH_FORBIDDEN"


def test_the_roots_default_to_the_data_folder_and_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TRAINPACK_LOCAL_ROOTS", raising=False)
    assert load_settings().local_roots == [Path(".data/local")]
    monkeypatch.setenv("TRAINPACK_LOCAL_ROOTS", f'["{tmp_path}", "/srv/models"]')
    assert load_settings().local_roots == [tmp_path, Path("/srv/models")]


def test_paths_that_cannot_be_resolved_fail_with_a_code_not_a_crash(folders: tuple[Path, Path]) -> None:
    root, _ = folders
    (root / "loop").symlink_to(root / "loop")
    for location in (root / "loop" / "data.csv", f"{root}/bad\0name.csv"):
        error = refused(location, [root])
        assert error.code == "LOCAL_PATH_NOT_FOUND" and not error.transient


def test_a_tilde_is_a_literal_folder_name_not_a_home_directory(folders: tuple[Path, Path]) -> None:
    root, _ = folders
    assert refused("~/data.csv", [root]).code == "LOCAL_PATH_FORBIDDEN"  # ./~/data.csv, outside the root


def test_a_config_linked_out_of_the_roots_is_refused_whether_or_not_its_target_exists(tmp_path: Path) -> None:
    root = tmp_path / "allowed"
    model = tiny_llama().write(root / "model")
    (model / "config.json").unlink()
    (model / "config.json").symlink_to(tmp_path / "missing.json")  # would tell "missing" from "present"
    with pytest.raises(IntegrationError) as caught:
        resolve_local_model(str(model), [root])
    assert caught.value.code == "LOCAL_PATH_FORBIDDEN"
