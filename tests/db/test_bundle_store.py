"""The filesystem bundle store: content-addressed, atomic, idempotent, refusing writes it cannot make."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from db.bundle_store import BundleStore, BundleStoreError, FilesystemBundleStore
from trainpack.settings import Settings


def test_an_archive_is_kept_under_its_sha256_and_storing_it_again_changes_nothing(tmp_path: Path) -> None:
    store: BundleStore = FilesystemBundleStore(tmp_path / "bundles")
    archive = b"\x1f\x8b pretend archive"
    sha = store.put(archive)
    assert sha == hashlib.sha256(archive).hexdigest()
    path = store.path_of(sha)
    assert path is not None and path.read_bytes() == archive
    modified = path.stat().st_mtime_ns
    assert store.put(archive) == sha
    assert path.stat().st_mtime_ns == modified
    assert [p.name for p in (tmp_path / "bundles").rglob("*") if p.is_file()] == [f"{sha}.tar.gz"]


def test_missing_and_malformed_names_are_absent(tmp_path: Path) -> None:
    store = FilesystemBundleStore(tmp_path)
    assert store.path_of("0" * 64) is None
    assert store.path_of("../../etc/passwd") is None
    assert store.path_of("A" * 64) is None


def test_concurrent_writers_of_one_archive_leave_one_whole_file_and_no_temporaries(tmp_path: Path) -> None:
    store = FilesystemBundleStore(tmp_path)
    archive = bytes(range(256)) * 4096
    names: list[str] = []
    threads = [threading.Thread(target=lambda: names.append(store.put(archive))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(names)) == 1
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].read_bytes() == archive


def test_a_store_that_cannot_write_raises_its_own_error_and_leaves_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    store = FilesystemBundleStore(blocker / "bundles")
    with pytest.raises(BundleStoreError, match="could not write"):
        store.put(b"archive")
    assert blocker.read_text().startswith("a file")


def test_the_folder_defaults_to_the_data_folder_and_can_be_configured(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).bundle_folder == tmp_path / "bundles"
    assert Settings(data_dir=tmp_path, bundle_dir=tmp_path / "elsewhere").bundle_folder == tmp_path / "elsewhere"


def test_a_damaged_copy_is_replaced_by_the_next_put(tmp_path: Path) -> None:
    store = FilesystemBundleStore(tmp_path)
    sha = store.put(b"the real bytes")
    path = store.path_of(sha)
    assert path is not None
    path.write_bytes(b"the fake bytes")
    assert store.put(b"the real bytes") == sha
    assert path.read_bytes() == b"the real bytes"
