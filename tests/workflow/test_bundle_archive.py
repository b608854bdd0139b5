"""The packed bundle: the same bytes wherever and whenever it is packed, and verified against its manifest."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

from tests.support.bundles import reference_inputs
from workflow.core.bundle import (
    MANIFEST,
    ArchiveDigestMismatchError,
    ArchiveNotCanonicalError,
    ArchiveUnreadableError,
    Bundle,
    BundleFile,
    BundleVerificationError,
    FileMissingError,
    FileTamperedError,
    ManifestInvalidError,
    ManifestMissingError,
    UnexpectedFileError,
    UnsafeEntryError,
    archive_digest,
    pack,
    render_bundle,
    verify,
)

ROOT = Path(__file__).resolve().parents[2]

_PACK_ELSEWHERE = textwrap.dedent(
    """
    import hashlib, sys
    from tests.support.bundles import reference_inputs
    from workflow.core.bundle import pack, render_bundle
    sys.stdout.write(hashlib.sha256(pack(render_bundle(reference_inputs()))).hexdigest())
    """
)


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    return render_bundle(reference_inputs())


def _replaced(bundle: Bundle, changes: dict[str, bytes | None]) -> Bundle:
    """The bundle's files with some replaced (bytes), removed (None) or added, manifest untouched."""
    files = {file.path: file.content for file in bundle.files}
    for path, content in changes.items():
        if content is None:
            files.pop(path)
        else:
            files[path] = content
    return Bundle(tuple(BundleFile(path, files[path]) for path in sorted(files)))


def test_two_renders_pack_to_the_same_bytes(bundle: Bundle) -> None:
    again = render_bundle(reference_inputs())
    assert pack(again) == pack(bundle)
    assert archive_digest(pack(bundle)) == hashlib.sha256(pack(bundle)).hexdigest()


def test_another_working_folder_time_zone_and_umask_pack_the_same_bytes(bundle: Bundle, tmp_path: Path) -> None:
    env = {**os.environ, "TZ": "Pacific/Chatham", "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", f"import os; os.umask(0o077); exec({_PACK_ELSEWHERE!r})"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == archive_digest(pack(bundle))


def test_entries_are_sorted_with_fixed_times_owners_and_modes(bundle: Bundle) -> None:
    archive = pack(bundle)
    assert archive[3] == 0  # gzip flags: no file name, no comment
    assert archive[4:8] == b"\0\0\0\0"  # gzip modification time
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == sorted(bundle.paths)
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode, m.type) for m in members} == {
        (0, 0, 0, "", "", 0o644, tarfile.REGTYPE)
    }


def test_verify_gives_back_the_bundle(bundle: Bundle) -> None:
    archive = pack(bundle)
    assert verify(archive, expected_sha256=archive_digest(archive)) == bundle


@pytest.mark.parametrize(
    ("changes", "error", "path"),
    [
        ({"train.py": b"print('not the training')\n"}, FileTamperedError, "train.py"),
        ({"train.yaml": None}, FileMissingError, "train.yaml"),
        ({"extra.txt": b"hello"}, UnexpectedFileError, "extra.txt"),
        ({MANIFEST: None}, ManifestMissingError, MANIFEST),
        ({MANIFEST: b"{not json"}, ManifestInvalidError, MANIFEST),
        ({MANIFEST: json.dumps({"formatVersion": 99, "files": []}).encode()}, ManifestInvalidError, MANIFEST),
    ],
)
def test_verify_detects_tampered_missing_and_unexpected_files(
    bundle: Bundle, changes: dict[str, bytes | None], error: type[BundleVerificationError], path: str
) -> None:
    with pytest.raises(error) as caught:
        verify(pack(_replaced(bundle, changes)))
    assert caught.value.path == path
    assert caught.value.code.startswith("BUNDLE_")


def test_a_data_file_changed_by_one_byte_is_detected(bundle: Bundle) -> None:
    data = next(file for file in bundle.files if file.path.startswith("data/"))
    flipped = bytes([data.content[0] ^ 1]) + data.content[1:]
    files = tuple(BundleFile(f.path, flipped if f.path == data.path else f.content) for f in bundle.files)
    with pytest.raises(FileTamperedError) as caught:
        verify(pack(Bundle(files)))
    assert caught.value.path == data.path


def _tar_gz(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for info, content in members:
            info.size = len(content) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(content) if info.isreg() else None)
    return gzip.compress(buffer.getvalue(), mtime=0)


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/passwd", "data/../../x", "./train.py"])
def test_entries_outside_the_bundle_are_refused(name: str) -> None:
    with pytest.raises(UnsafeEntryError):
        verify(_tar_gz((tarfile.TarInfo(name), b"x")))


def test_links_and_duplicates_are_refused() -> None:
    link = tarfile.TarInfo("train.py")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    with pytest.raises(UnsafeEntryError):
        verify(_tar_gz((link, b"")))
    with pytest.raises(UnsafeEntryError, match="twice"):
        verify(_tar_gz((tarfile.TarInfo("a"), b"1"), (tarfile.TarInfo("a"), b"2")))


def test_intact_files_packed_another_way_are_not_canonical(bundle: Bundle) -> None:
    members = []
    for file in reversed(bundle.files):
        info = tarfile.TarInfo(file.path)
        info.mtime, info.mode = 1_700_000_000, 0o600
        members.append((info, file.content))
    with pytest.raises(ArchiveNotCanonicalError):
        verify(_tar_gz(*members))


@pytest.mark.parametrize("archive", [b"", b"not an archive at all", gzip.compress(b"not a tar" * 100)])
def test_unreadable_archives_are_refused(archive: bytes) -> None:
    with pytest.raises(ArchiveUnreadableError):
        verify(archive)


def test_a_truncated_archive_is_refused(bundle: Bundle) -> None:
    archive = pack(bundle)
    with pytest.raises(ArchiveUnreadableError):
        verify(archive[: len(archive) // 2])


def test_an_archive_not_named_by_its_digest_is_refused(bundle: Bundle) -> None:
    with pytest.raises(ArchiveDigestMismatchError):
        verify(pack(bundle), expected_sha256="0" * 64)


def test_bundle_paths_must_be_plain_relative_paths() -> None:
    from workflow.core.bundle.archive import assemble

    for bad in ("/abs", "a/../b", "a\\b", "x" * 101):
        with pytest.raises(ValueError, match="bundle path"):
            assemble({bad: b""}, package="p", version=1, content_hash="sha256:0")
