"""The Hub stand-in answers the real ``huggingface_hub`` client the way the Hub does."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from tests.support.hub_standin import HubStandin, git_blob_sha
from tests.support.model_files import safetensors_file, tiny_llama


@pytest.fixture(scope="module")
def hub() -> Iterator[HubStandin]:
    with HubStandin() as standin:
        yield standin


def test_model_info_lists_files_with_sizes_and_lfs_hashes(hub: HubStandin) -> None:
    model = tiny_llama(shards=2)
    sha = hub.add_model("standin/info", model.files, license="llama3.2")
    info = HfApi(endpoint=hub.url, token=False).model_info("standin/info", files_metadata=True)
    assert info.sha == sha
    assert info.card_data is not None and info.card_data.license == "llama3.2"
    siblings = {s.rfilename: s for s in info.siblings or []}
    assert set(siblings) == set(model.files)
    shard = siblings["model-00001-of-00002.safetensors"]
    content = model.files["model-00001-of-00002.safetensors"]
    assert shard.size == len(content)
    assert shard.lfs is not None and shard.lfs.sha256 == hashlib.sha256(content).hexdigest()
    assert siblings["config.json"].lfs is None
    assert siblings["config.json"].blob_id == git_blob_sha(model.files["config.json"])


def test_revisions_tree_and_safetensors_metadata(hub: HubStandin) -> None:
    first = hub.add_model("standin/revs", tiny_llama(layers=1).files)
    second = hub.add_model("standin/revs", tiny_llama(layers=3).files, revision="v2")
    api = HfApi(endpoint=hub.url, token=False)
    assert api.model_info("standin/revs", revision="v2").sha == second
    assert api.model_info("standin/revs", revision=first).sha == first
    assert "model.safetensors" in api.list_repo_files("standin/revs", revision="v2")
    metadata = api.get_safetensors_metadata("standin/revs", revision="v2")
    assert metadata.parameter_count == {"BF16": tiny_llama(layers=3).parameter_count}


def test_head_and_ranged_get_carry_the_hub_headers(hub: HubStandin) -> None:
    content = safetensors_file({"w": ("F32", (64, 64))})
    sha = hub.add_model("standin/ranges", {"model.safetensors": content, "config.json": b"{}"})
    url = f"{hub.url}/standin/ranges/resolve/main/model.safetensors"
    head = httpx.head(url)
    assert head.status_code == 200
    assert head.headers["X-Repo-Commit"] == sha
    assert head.headers["X-Linked-Etag"].strip('"') == hashlib.sha256(content).hexdigest()
    assert head.headers["X-Linked-Size"] == head.headers["Content-Length"] == str(len(content))
    assert head.headers["Accept-Ranges"] == "bytes"
    part = httpx.get(url, headers={"Range": "bytes=100-"})
    assert part.status_code == 206
    assert part.content == content[100:]
    assert part.headers["Content-Range"] == f"bytes 100-{len(content) - 1}/{len(content)}"
    assert httpx.get(url, headers={"Range": f"bytes={len(content)}-"}).status_code == 416
    small = httpx.head(f"{hub.url}/standin/ranges/resolve/main/config.json")
    assert small.headers["ETag"].strip('"') == git_blob_sha(b"{}")
    assert "X-Linked-Etag" not in small.headers
    logged = hub.requests_for(r"/standin/ranges/resolve/main/model\.safetensors$", "GET")
    assert [(r.range, r.status) for r in logged] == [("bytes=100-", 206), (f"bytes={len(content)}-", 416)]


def test_missing_repo_revision_and_file_map_to_the_client_errors(hub: HubStandin, tmp_path: Path) -> None:
    hub.add_model("standin/present", {"config.json": b"{}"})
    api = HfApi(endpoint=hub.url, token=False)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("standin/absent")
    with pytest.raises(RevisionNotFoundError):
        api.model_info("standin/present", revision="nope")
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("standin/present", "nope.json", endpoint=hub.url, cache_dir=tmp_path, token=False)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(
            "standin/present", "config.json", revision="nope", endpoint=hub.url, cache_dir=tmp_path, token=False
        )


def test_gated_repo_wants_a_known_token(hub: HubStandin, tmp_path: Path) -> None:
    hub.add_model("standin/gated", {"config.json": b'{"a": 1}'}, gated=True)
    hub.tokens.add("hf_good")

    def fetch(token: str | bool) -> str:
        return hf_hub_download("standin/gated", "config.json", endpoint=hub.url, cache_dir=tmp_path, token=token)

    with pytest.raises(GatedRepoError) as anonymous:
        fetch(False)
    assert anonymous.value.response.status_code == 401
    with pytest.raises(GatedRepoError) as stranger:
        fetch("hf_bad")
    assert stranger.value.response.status_code == 403
    assert json.loads(Path(fetch("hf_good")).read_text()) == {"a": 1}
    assert HfApi(endpoint=hub.url, token=False).model_info("standin/gated").gated == "manual"


def test_injected_faults_answer_then_clear(hub: HubStandin) -> None:
    hub.add_model("standin/faults", {"config.json": b"{}"})
    hub.inject(r"^/api/models/standin/faults", 429, times=1, retry_after=7)
    hub.inject(r"^/api/models/standin/faults", 503, times=1)
    url = f"{hub.url}/api/models/standin/faults"
    first = httpx.get(url)
    assert (first.status_code, first.headers["Retry-After"]) == (429, "7")
    assert httpx.get(url).status_code == 503
    assert httpx.get(url).status_code == 200


def test_throttle_slows_downloads_and_datasets_resolve(hub: HubStandin, tmp_path: Path) -> None:
    sha = hub.add_dataset("standin/data", {"data/train-00000-of-00001.parquet": b"x" * 40_000})
    hub.throttle(100_000)
    try:
        started = time.monotonic()
        path = snapshot_download("standin/data", repo_type="dataset", endpoint=hub.url, cache_dir=tmp_path, token=False)
        elapsed = time.monotonic() - started
    finally:
        hub.throttle(None)
    assert elapsed >= 0.3
    assert Path(path).name == sha
    assert (Path(path) / "data/train-00000-of-00001.parquet").read_bytes() == b"x" * 40_000
