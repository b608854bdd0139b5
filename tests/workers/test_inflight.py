"""Hashing a weight file while the Hub client writes it (so a download is verified in one pass).

The writer here does what huggingface_hub does: a temporary ``<sha256>.<random>.incomplete``
file written in chunks, then renamed to ``<sha256>``.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

from workers.integrations.inflight import Follower

CONTENT = os.urandom(3_000_000)
SHA = hashlib.sha256(CONTENT).hexdigest()


def _write_like_the_client(blobs: Path, content: bytes, *, sha: str = SHA, pause: float = 0.002) -> Path:
    partial = blobs / f"{sha}.0badcafe.incomplete"
    with partial.open("wb") as out:
        for start in range(0, len(content), 256_000):
            out.write(content[start : start + 256_000])
            out.flush()
            time.sleep(pause)
    final = blobs / sha
    os.replace(partial, final)
    return final


def test_a_file_followed_while_written_has_its_digest_and_is_recognised_after_the_rename(tmp_path: Path) -> None:
    follower = Follower(tmp_path, SHA, len(CONTENT))
    final = _write_like_the_client(tmp_path, CONTENT)
    followed = follower.finish()
    assert followed is not None and followed.sha256 == SHA
    assert followed.describes(final)


def test_damaged_bytes_give_another_digest(tmp_path: Path) -> None:
    follower = Follower(tmp_path, SHA, len(CONTENT))
    _write_like_the_client(tmp_path, b"\0" + CONTENT[1:])
    followed = follower.finish()
    assert followed is not None and followed.sha256 != SHA


def test_a_file_changed_after_it_was_followed_is_not_vouched_for(tmp_path: Path) -> None:
    follower = Follower(tmp_path, SHA, len(CONTENT))
    final = _write_like_the_client(tmp_path, CONTENT)
    followed = follower.finish()
    assert followed is not None
    with final.open("ab") as out:
        out.write(b"more")
    assert not followed.describes(final)


def test_a_download_that_stops_short_leaves_nothing_vouched_for(tmp_path: Path) -> None:
    follower = Follower(tmp_path, SHA, len(CONTENT))
    partial = tmp_path / f"{SHA}.0badcafe.incomplete"
    partial.write_bytes(CONTENT[: len(CONTENT) // 2])  # the client failed half way
    time.sleep(0.05)
    assert follower.finish() is None


def test_a_file_already_complete_is_left_to_the_full_check(tmp_path: Path) -> None:
    (tmp_path / SHA).write_bytes(CONTENT)  # a cache hit: nothing will be written
    follower = Follower(tmp_path, SHA, len(CONTENT))
    assert follower.finish() is None


def test_followers_of_several_files_run_side_by_side(tmp_path: Path) -> None:
    contents = [os.urandom(3_000_000) for _ in range(4)]
    digests = [hashlib.sha256(content).hexdigest() for content in contents]
    followers = [Follower(tmp_path, digest, len(content)) for digest, content in zip(digests, contents, strict=True)]

    writers = [
        threading.Thread(target=_write_like_the_client, args=(tmp_path, content), kwargs={"sha": digest})
        for digest, content in zip(digests, contents, strict=True)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    results = [follower.finish() for follower in followers]
    assert [result.sha256 if result else None for result in results] == digests
