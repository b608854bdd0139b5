"""The worker integrations against the real ``huggingface_hub`` client and the local Hub stand-in.

The integrations are the only code that talks to the Hub, and the jobs trust what they return:
a pinned commit, model facts the rules decide on, a verified copy of the weights, and, when
something goes wrong, a stable error code whose ``transient`` flag decides between a retry and
failing the job. These tests exercise each integration directly (no database, no Redis) with the
real client talking HTTP to ``HubStandin``, so a client upgrade that changes how a failure
surfaces, what gets downloaded or how progress is reported shows up here, not in production.
No test reaches the internet and the client is never mocked.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import random
import re
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from filelock import FileLock
from huggingface_hub import constants

from tests.support.hub_standin import HubStandin
from tests.support.model_files import LLAMA_TARGETS, large_model, safetensors_file, tiny_llama
from tests.support.servers import free_port
from workers.integrations.downloads import DownloadResult, download_model
from workers.integrations.errors import Cancelled, IntegrationError
from workers.integrations.hub_datasets import fetch_hub_dataset
from workers.integrations.hub_models import resolve_hub_model
from workers.integrations.local_models import resolve_local_model
from workflow.facts import ModelFacts

TINY_LLAMA_PARAMETERS = 7248
"""``tiny_llama()``: embed 64x16 + 2 x (4 x 16x16 + 3 x 32x16 + 2 x 16) + norm 16 + lm_head 64x16."""


@pytest.fixture(scope="module")
def hub() -> Iterator[HubStandin]:
    with HubStandin() as standin:
        yield standin


@pytest.fixture(autouse=True)
def _no_ambient_hub_state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No token from the environment or a login file, and no writes into the user's Hub cache
    (the client's defaults, e.g. for a sharded model's index, land in a per-test folder)."""
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "hf-home" / "token"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-home" / "hub"))


def failure(call: Callable[[], object]) -> IntegrationError:
    """The ``IntegrationError`` that ``call`` raises."""
    with pytest.raises(IntegrationError) as caught:
        call()
    return caught.value


def resolve(hub: HubStandin, repo_id: str, revision: str = "main", token: str | None = None) -> ModelFacts:
    return resolve_hub_model(repo_id, revision, endpoint=hub.url, token=token)


def download(
    hub: HubStandin,
    repo_id: str,
    cache_dir: Path,
    *,
    progress: list[tuple[int, int]] | None = None,
    allow_patterns: list[str] | None = None,
    free_bytes: Callable[[Path], int] | None = None,
    cancel: threading.Event | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> DownloadResult:
    calls = progress if progress is not None else []
    return download_model(
        repo_id,
        "main",
        endpoint=hub.url,
        token=None,
        cache_dir=cache_dir,
        allow_patterns=allow_patterns,
        on_progress=on_progress or (lambda done, total: calls.append((done, total))),
        cancel=cancel or threading.Event(),
        free_bytes=free_bytes,
    )


def snapshot(cache_dir: Path, repo_id: str, sha: str) -> Path:
    return cache_dir / f"models--{repo_id.replace('/', '--')}" / "snapshots" / sha


def files_under(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


# -- resolve_hub_model ---------------------------------------------------------------------------


def test_hub_model_resolves_commit_context_parameters_targets_licence_and_gating(hub: HubStandin) -> None:
    model = tiny_llama(context_length=4096)
    sha = hub.add_model("acme/facts", model.files, license="llama3.2")

    facts = resolve(hub, "acme/facts")

    assert facts.resolved_sha == sha
    assert facts.context_length == 4096
    assert facts.parameter_count == model.parameter_count == TINY_LLAMA_PARAMETERS
    assert facts.parameters_by_dtype == {"bf16": TINY_LLAMA_PARAMETERS}
    assert facts.module_names == LLAMA_TARGETS
    assert facts.module_names == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    assert facts.licence == "llama3.2"
    assert facts.gated is False
    assert facts.dtype == "bf16"
    assert facts.architecture == "LlamaForCausalLM"
    assert facts.model_type == "llama"
    assert facts.size_bytes == len(model.files["model.safetensors"])


def test_hub_model_resolves_a_pinned_revision_and_a_commit(hub: HubStandin) -> None:
    first = tiny_llama(layers=1)
    second = tiny_llama(layers=3, context_key="n_positions", context_length=8192)
    first_sha = hub.add_model("acme/pinned", first.files)
    second_sha = hub.add_model("acme/pinned", second.files, revision="v2")

    on_v2 = resolve(hub, "acme/pinned", "v2")
    on_main = resolve(hub, "acme/pinned", "main")
    on_commit = resolve(hub, "acme/pinned", first_sha)

    assert (on_v2.resolved_sha, on_v2.context_length, on_v2.parameter_count) == (
        second_sha,
        8192,
        second.parameter_count,
    )
    assert (on_main.resolved_sha, on_main.context_length, on_main.parameter_count) == (
        first_sha,
        2048,
        first.parameter_count,
    )
    assert on_commit == on_main
    assert second.parameter_count - first.parameter_count == 2 * 2592  # two more blocks of 2592 weights
    # Once the commit is known every later read is pinned to it, not to the moving ref.
    later_reads = hub.requests_for(r"^/acme/pinned/resolve/")
    assert later_reads
    assert {r.path.split("/")[4] for r in later_reads} == {first_sha, second_sha}


def test_sharded_hub_model_counts_every_shard(hub: HubStandin) -> None:
    model = tiny_llama(shards=2)
    sha = hub.add_model("acme/sharded-facts", model.files)

    facts = resolve(hub, "acme/sharded-facts")

    assert facts.resolved_sha == sha
    assert facts.parameter_count == TINY_LLAMA_PARAMETERS
    assert facts.module_names == LLAMA_TARGETS
    assert facts.size_bytes == model.safetensors_bytes
    assert facts.size_bytes == sum(len(model.files[f"model-0000{i}-of-00002.safetensors"]) for i in (1, 2))


def test_gated_hub_model_without_a_token_fails_permanently(hub: HubStandin) -> None:
    hub.add_model("acme/gated-anonymous", tiny_llama().files, gated=True)

    error = failure(lambda: resolve(hub, "acme/gated-anonymous"))

    assert error.code == "HUB_GATED"
    assert error.transient is False
    assert error.retry_after is None
    assert [r.status for r in hub.requests_for(r"^/acme/gated-anonymous/resolve/")] == [401]


def test_gated_hub_model_with_an_unknown_token_fails_permanently(hub: HubStandin) -> None:
    hub.add_model("acme/gated-stranger", tiny_llama().files, gated=True)

    error = failure(lambda: resolve(hub, "acme/gated-stranger", token="hf_stranger"))

    assert (error.code, error.transient) == ("HUB_GATED", False)
    assert [r.status for r in hub.requests_for(r"^/acme/gated-stranger/resolve/")] == [403]


def test_gated_hub_model_with_an_accepted_token_resolves(hub: HubStandin) -> None:
    model = tiny_llama()
    sha = hub.add_model("acme/gated-member", model.files, gated=True, license="llama3.1")
    hub.tokens.add("hf_member")

    facts = resolve(hub, "acme/gated-member", token="hf_member")

    assert facts.resolved_sha == sha
    assert facts.gated is True
    assert facts.licence == "llama3.1"
    assert facts.parameter_count == TINY_LLAMA_PARAMETERS
    file_reads = hub.requests_for(r"^/acme/gated-member/resolve/")
    assert file_reads
    assert {(r.status in (200, 206), r.authorization) for r in file_reads} == {(True, "Bearer hf_member")}


def test_missing_hub_repo_is_not_found(hub: HubStandin) -> None:
    error = failure(lambda: resolve(hub, "acme/absent"))

    assert (error.code, error.transient) == ("HUB_NOT_FOUND", False)
    assert error.message == "The model acme/absent@main was not found on the Hub (no such repository)."


def test_missing_hub_revision_is_not_found(hub: HubStandin) -> None:
    hub.add_model("acme/no-such-rev", tiny_llama().files)

    error = failure(lambda: resolve(hub, "acme/no-such-rev", "v9"))

    assert (error.code, error.transient) == ("HUB_NOT_FOUND", False)
    assert error.message == "The model acme/no-such-rev@v9 was not found on the Hub (no such revision)."


@pytest.mark.parametrize(("status", "where"), [(503, "metadata"), (500, "weights")])
def test_hub_server_error_is_transient_and_a_retry_succeeds(hub: HubStandin, status: int, where: str) -> None:
    repo = f"acme/flaky-{where}"
    sha = hub.add_model(repo, tiny_llama().files)
    path = {"metadata": rf"^/api/models/{repo}/", "weights": rf"^/{repo}/resolve/[^/]+/model\.safetensors$"}[where]
    hub.inject(path, status, times=1)

    error = failure(lambda: resolve(hub, repo))

    assert error.code == "HUB_UNAVAILABLE"
    assert error.transient is True
    assert error.retry_after is None
    assert error.message == f"The Hub failed for the model {repo}@main (HTTP {status})."
    assert resolve(hub, repo).resolved_sha == sha  # the fault was one-off: the retry the flag asks for works


def test_hub_one_off_server_error_on_a_file_download_is_retried_by_the_client(hub: HubStandin) -> None:
    sha = hub.add_model("acme/flaky-config", tiny_llama().files)
    hub.inject(r"^/acme/flaky-config/resolve/[^/]+/config\.json$", 502, times=1)

    facts = resolve(hub, "acme/flaky-config")  # hf_hub_download backs off (1 s) and asks again

    assert facts.resolved_sha == sha
    heads = hub.requests_for(r"^/acme/flaky-config/resolve/[^/]+/config\.json$", "HEAD")
    assert [r.status for r in heads] == [502, 200]


def test_hub_that_keeps_refusing_a_file_download_is_transient_not_missing(hub: HubStandin) -> None:
    """``hf_hub_download`` retries a 429/5xx itself, then gives up with ``LocalEntryNotFoundError``
    (an ``EntryNotFoundError``): that is the Hub failing, not a file missing from the repo."""
    hub.add_model("acme/throttled-config", tiny_llama().files)
    # One plain attempt, then six with backoff; Retry-After 0 keeps those five sleeps at 1 s each.
    hub.inject(r"^/acme/throttled-config/resolve/[^/]+/config\.json$", 429, times=7, retry_after=0)

    error = failure(lambda: resolve(hub, "acme/throttled-config"))

    assert error.code == "HUB_RATE_LIMITED"
    assert error.transient is True
    assert error.retry_after == 0.0
    heads = hub.requests_for(r"^/acme/throttled-config/resolve/[^/]+/config\.json$", "HEAD")
    assert [r.status for r in heads] == [429] * 7


@pytest.mark.parametrize(("retry_after", "expected"), [(7, 7.0), (2.5, 2.5), (None, None)])
def test_hub_rate_limit_is_transient_with_its_retry_after(
    hub: HubStandin, retry_after: float | None, expected: float | None
) -> None:
    repo = f"acme/rate-limited-{retry_after}"
    hub.add_model(repo, tiny_llama().files)
    hub.inject(rf"^/api/models/{repo}/", 429, times=1, retry_after=retry_after)

    error = failure(lambda: resolve(hub, repo))

    assert error.code == "HUB_RATE_LIMITED"
    assert error.transient is True
    assert error.retry_after == expected


def test_hub_repo_without_safetensors_has_no_weights(hub: HubStandin) -> None:
    files = {name: content for name, content in tiny_llama().files.items() if not name.endswith(".safetensors")}
    assert "pytorch_model.bin" in files  # only the pickle weights are left
    hub.add_model("acme/bin-only", files)

    error = failure(lambda: resolve(hub, "acme/bin-only"))

    assert (error.code, error.transient) == ("MODEL_WEIGHTS_MISSING", False)


def test_hub_repo_without_config_has_no_config(hub: HubStandin) -> None:
    files = {name: content for name, content in tiny_llama().files.items() if name != "config.json"}
    hub.add_model("acme/no-config", files)

    error = failure(lambda: resolve(hub, "acme/no-config"))

    assert (error.code, error.transient) == ("MODEL_CONFIG_MISSING", False)


@pytest.mark.parametrize(
    ("case", "config"),
    [
        pytest.param("not-json", b'{"model_type": "llama",', id="not-json"),
        pytest.param("not-an-object", b'["llama"]', id="not-an-object"),
        pytest.param("not-utf8", b'{"a": "\xff"}', id="not-utf8"),
    ],
)
def test_hub_repo_with_an_invalid_config_is_refused(hub: HubStandin, case: str, config: bytes) -> None:
    hub.add_model(f"acme/bad-config-{case}", {**tiny_llama().files, "config.json": config})

    error = failure(lambda: resolve(hub, f"acme/bad-config-{case}"))

    assert (error.code, error.transient) == ("MODEL_CONFIG_INVALID", False)


def test_hub_repo_with_unreadable_safetensors_is_refused(hub: HubStandin) -> None:
    garbage = random.Random(7).randbytes(4096)  # the length prefix announces an impossible header
    hub.add_model("acme/garbage-weights", {**tiny_llama().files, "model.safetensors": garbage})

    error = failure(lambda: resolve(hub, "acme/garbage-weights"))

    assert (error.code, error.transient) == ("MODEL_WEIGHTS_INVALID", False)


# -- resolve_local_model ------------------------------------------------------------------------


@pytest.mark.parametrize("shards", [1, 2])
def test_local_model_has_the_facts_of_the_same_files_on_the_hub(hub: HubStandin, tmp_path: Path, shards: int) -> None:
    model = tiny_llama(shards=shards, context_length=3072, config_overrides={"license": "mit"})
    repo = f"acme/local-twin-{shards}"
    hub.add_model(repo, model.files, license="mit")
    on_hub = resolve(hub, repo)

    local = resolve_local_model(str(model.write(tmp_path / "model")), [tmp_path])

    assert dataclasses.replace(local, resolved_sha=on_hub.resolved_sha) == on_hub
    assert local.resolved_sha != on_hub.resolved_sha
    assert len(local.resolved_sha) == 40
    assert (local.context_length, local.parameter_count, local.licence) == (3072, TINY_LLAMA_PARAMETERS, "mit")
    assert resolve_local_model(str(tmp_path / "model"), [tmp_path]).resolved_sha == local.resolved_sha  # stable digest


def test_local_model_without_a_licence_in_its_config_is_local(tmp_path: Path) -> None:
    facts = resolve_local_model(str(tiny_llama().write(tmp_path)), [tmp_path])

    assert facts.licence == "local"
    assert facts.gated is False
    assert facts.module_names == LLAMA_TARGETS


def test_local_model_directory_that_does_not_exist(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere")

    error = failure(lambda: resolve_local_model(missing, [tmp_path]))

    assert (error.code, error.transient) == ("LOCAL_PATH_NOT_FOUND", False)
    assert error.message == f"No directory at {missing!r}."


@pytest.mark.parametrize(
    ("remove", "code"), [("config.json", "MODEL_CONFIG_MISSING"), ("model.safetensors", "MODEL_WEIGHTS_MISSING")]
)
def test_local_model_missing_a_required_file(tmp_path: Path, remove: str, code: str) -> None:
    folder = tiny_llama().write(tmp_path)
    (folder / remove).unlink()

    assert failure(lambda: resolve_local_model(str(folder), [tmp_path])).code == code


WEIGHTS = safetensors_file({"model.layers.0.self_attn.q_proj.weight": ("BF16", (16, 16))})
HEADER_END = 8 + struct.unpack("<Q", WEIGHTS[:8])[0]


def _with_header(header: object) -> bytes:
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(WEIGHTS[:5], id="shorter-than-the-length-prefix"),
        pytest.param(random.Random(3).randbytes(2048), id="random-bytes"),
        pytest.param(WEIGHTS[: HEADER_END - 10], id="cut-inside-the-header"),
        pytest.param(WEIGHTS[: HEADER_END + 100], id="cut-inside-the-tensor-data"),
        pytest.param(WEIGHTS[:-1], id="last-byte-missing"),
        pytest.param(struct.pack("<Q", 8) + b"\xff" * 8, id="header-not-utf8"),
        pytest.param(_with_header(["q_proj"]), id="header-not-an-object"),
        pytest.param(_with_header({"w": 1}), id="tensor-entry-not-an-object"),
        pytest.param(_with_header({"w": {"dtype": "BF16", "shape": [2]}}), id="tensor-entry-without-offsets"),
    ],
)
def test_local_model_with_truncated_or_garbage_safetensors_is_refused(tmp_path: Path, content: bytes) -> None:
    folder = tiny_llama().write(tmp_path)
    (folder / "model.safetensors").write_bytes(content)

    error = failure(lambda: resolve_local_model(str(folder), [tmp_path]))

    assert (error.code, error.transient) == ("MODEL_WEIGHTS_INVALID", False)
    assert error.message.startswith("model.safetensors ")


# -- download_model -----------------------------------------------------------------------------

SHARDED = large_model(4, shards=2)
SHARDED_SELECTED = (
    "config.json",
    "model-00001-of-00002.safetensors",
    "model-00002-of-00002.safetensors",
    "model.safetensors.index.json",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer_config.json",
)


def test_download_fetches_the_selected_files_byte_for_byte(hub: HubStandin, tmp_path: Path) -> None:
    sha = hub.add_model("acme/download", SHARDED.files)
    progress: list[tuple[int, int]] = []

    result = download(hub, "acme/download", tmp_path, progress=progress)

    total = sum(len(SHARDED.files[name]) for name in SHARDED_SELECTED)
    assert result.commit_sha == sha
    assert result.path == snapshot(tmp_path, "acme/download", sha)
    assert result.files == SHARDED_SELECTED
    assert result.total_bytes == total
    assert total > 4_000_000
    assert files_under(result.path) == sorted(SHARDED_SELECTED)
    for name in SHARDED_SELECTED:
        assert (result.path / name).read_bytes() == SHARDED.files[name], name
    # The pickle decoy (and the README) are not weights the trainer reads: never fetched.
    assert not (result.path / "pytorch_model.bin").exists()
    assert hub.requests_for(r"^/acme/download/resolve/.*/(pytorch_model\.bin|README\.md)$") == []
    # Progress counts bytes, never goes back, and ends at the total.
    assert progress[0] == (0, total)
    assert progress[-1] == (total, total)
    assert {t for _, t in progress} == {total}
    assert all(a <= b for (a, _), (b, _) in itertools.pairwise(progress))


def test_download_with_allow_patterns_fetches_only_those(hub: HubStandin, tmp_path: Path) -> None:
    sha = hub.add_model("acme/only-config", SHARDED.files)
    progress: list[tuple[int, int]] = []

    result = download(hub, "acme/only-config", tmp_path, progress=progress, allow_patterns=["config.json"])

    config = SHARDED.files["config.json"]
    assert (result.files, result.total_bytes, result.commit_sha) == (("config.json",), len(config), sha)
    assert files_under(result.path) == ["config.json"]
    assert (result.path / "config.json").read_bytes() == config
    fetched = {r.path.rsplit("/", 1)[-1] for r in hub.requests_for(r"^/acme/only-config/resolve/", "GET")}
    assert fetched == {"config.json"}
    assert progress[-1] == (len(config), len(config))


def test_download_of_a_corrupted_file_fails_and_leaves_no_bad_copy(hub: HubStandin, tmp_path: Path) -> None:
    model = tiny_llama()
    weights = model.files["model.safetensors"]
    first_sha = hub.add_model("acme/corrupt", model.files)
    hub.corrupt("acme/corrupt", "model.safetensors")

    error = failure(lambda: download(hub, "acme/corrupt", tmp_path))

    assert error.code == "DOWNLOAD_CORRUPT"
    assert error.message == "model.safetensors does not match its published sha256; removed it."
    assert not (snapshot(tmp_path, "acme/corrupt", first_sha) / "model.safetensors").exists()
    flipped = bytes([weights[0] ^ 0xFF]) + weights[1:]
    assert [p for p in tmp_path.rglob("*") if p.is_file() and p.read_bytes() == flipped] == []

    # A new commit of the same (now intact) file downloads it again and verifies it.
    second_sha = hub.add_model("acme/corrupt", model.files)
    result = download(hub, "acme/corrupt", tmp_path)

    assert result.commit_sha == second_sha
    assert (result.path / "model.safetensors").read_bytes() == weights
    gets = hub.requests_for(r"^/acme/corrupt/resolve/[^/]+/model\.safetensors$", "GET")
    assert [r.path.split("/")[4] for r in gets] == [first_sha, second_sha]


def test_download_without_the_disk_space_fails_before_fetching_weights(hub: HubStandin, tmp_path: Path) -> None:
    hub.add_model("acme/no-room", SHARDED.files)
    asked: list[Path] = []
    progress: list[tuple[int, int]] = []

    def free_bytes(folder: Path) -> int:
        asked.append(folder)
        return 10

    error = failure(lambda: download(hub, "acme/no-room", tmp_path, progress=progress, free_bytes=free_bytes))

    assert (error.code, error.transient) == ("DISK_SPACE_INSUFFICIENT", False)
    assert error.message == "model acme/no-room@main needs 4.4 MB more but only 0.0 MB are free."
    assert asked == [tmp_path]
    assert hub.requests_for(r"^/acme/no-room/resolve/") == []
    assert progress == []
    assert not (tmp_path / "models--acme--no-room").exists()


def test_download_cancelled_from_its_progress_hook_stops(hub: HubStandin, tmp_path: Path) -> None:
    model = large_model(0.5, bin_decoy=False)
    weights = model.files["model.safetensors"]
    sha = hub.add_model("acme/cancelled", model.files)
    cancel = threading.Event()
    progress: list[tuple[int, int]] = []

    def on_progress(done: int, total: int) -> None:
        progress.append((done, total))
        if done > 0:
            cancel.set()

    # The small files report progress (and set the event) long before the weights' first chunk.
    hub.throttle(500_000)  # the weights alone take about a second
    try:
        with pytest.raises(Cancelled):
            download(hub, "acme/cancelled", tmp_path, on_progress=on_progress, cancel=cancel)
    finally:
        hub.throttle(None)

    total = sum(len(content) for name, content in model.files.items() if name != "README.md")
    assert cancel.is_set()
    assert max(done for done, _ in progress) < total
    assert hub.requests_for(r"^/acme/cancelled/resolve/[^/]+/model\.safetensors$", "GET")
    assert not (snapshot(tmp_path, "acme/cancelled", sha) / "model.safetensors").exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file() and p.read_bytes() == weights] == []


def test_second_download_into_the_same_cache_fetches_nothing(hub: HubStandin, tmp_path: Path) -> None:
    sha = hub.add_model("acme/cached", SHARDED.files)
    first = download(hub, "acme/cached", tmp_path)
    weight_gets = hub.requests_for(r"^/acme/cached/resolve/.*\.safetensors$", "GET")
    assert len(weight_gets) == 2
    files_before = len(hub.requests_for(r"^/acme/cached/resolve/"))
    progress: list[tuple[int, int]] = []

    # Nothing is missing, so not even free space is needed.
    second = download(hub, "acme/cached", tmp_path, progress=progress, free_bytes=lambda _: 0)

    assert second == first
    assert second.commit_sha == sha
    assert hub.requests_for(r"^/acme/cached/resolve/.*\.safetensors$", "GET") == weight_gets
    assert len(hub.requests_for(r"^/acme/cached/resolve/")) == files_before
    assert progress == [(first.total_bytes, first.total_bytes)]


def test_a_weight_file_a_killed_download_left_half_written_is_finished_with_a_range_request(
    hub: HubStandin, tmp_path: Path
) -> None:
    sha = hub.add_model("acme/partial", SHARDED.files)
    name = next(name for name in SHARDED.files if name.endswith(".safetensors"))
    content = SHARDED.files[name]
    digest = hashlib.sha256(content).hexdigest()
    folder = "models--acme--partial"
    blobs = tmp_path / folder / "blobs"
    blobs.mkdir(parents=True)
    half = len(content) // 2
    (blobs / f"{digest}.0badf00d.incomplete").write_bytes(content[:half])  # left by a killed worker
    (blobs / f"{digest}.0ddba11.incomplete").write_bytes(content[:10])  # an older, shorter attempt
    unrelated = blobs / "1111aaaa.deadbeef.incomplete"  # of a file no longer wanted
    unrelated.write_bytes(b"stale")
    live = blobs / "2222bbbb.c0ffee00.incomplete"  # another process is writing it right now
    live.write_bytes(b"in progress")
    (tmp_path / ".locks" / folder).mkdir(parents=True)
    progress: list[tuple[int, int]] = []

    with FileLock(tmp_path / ".locks" / folder / "2222bbbb.lock"):
        result = download(hub, "acme/partial", tmp_path, progress=progress)

    assert (result.path / name).read_bytes() == content
    gets = hub.requests_for(rf"^/acme/partial/resolve/{sha}/{re.escape(name)}$", "GET")
    assert [request.range for request in gets] == [f"bytes={half}-"]  # only the missing half was fetched
    assert not list(blobs.glob(f"{digest}.*.incomplete")) and not unrelated.exists()
    assert live.read_bytes() == b"in progress"
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    assert progress[-1] == (result.total_bytes, result.total_bytes)


def test_a_half_written_file_that_does_not_verify_is_fetched_again_whole(hub: HubStandin, tmp_path: Path) -> None:
    sha = hub.add_model("acme/spoilt", SHARDED.files)
    name = next(name for name in SHARDED.files if name.endswith(".safetensors"))
    content = SHARDED.files[name]
    digest = hashlib.sha256(content).hexdigest()
    blobs = tmp_path / "models--acme--spoilt" / "blobs"
    blobs.mkdir(parents=True)
    (blobs / f"{digest}.0badf00d.incomplete").write_bytes(b"\0" * (len(content) // 2))  # damaged bytes

    result = download(hub, "acme/spoilt", tmp_path)

    assert (result.path / name).read_bytes() == content
    gets = hub.requests_for(rf"^/acme/spoilt/resolve/{sha}/{re.escape(name)}$", "GET")
    assert [request.range for request in gets] == [f"bytes={len(content) // 2}-", None]


def test_an_unreachable_hub_is_a_transient_failure_for_every_integration(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    calls: list[Callable[[], object]] = [
        lambda: resolve_hub_model("acme/x", "main", endpoint=closed, token=None),
        lambda: download_model(
            "acme/x",
            "main",
            endpoint=closed,
            token=None,
            cache_dir=tmp_path,
            on_progress=lambda _done, _total: None,
            cancel=threading.Event(),
        ),
        lambda: fetch_hub_dataset(
            "acme/x", "main", subset=None, split="train", endpoint=closed, token=None, cache_dir=tmp_path
        ),
    ]
    for call in calls:
        with pytest.raises(IntegrationError) as raised:
            call()
        assert (raised.value.code, raised.value.transient) == ("HUB_UNAVAILABLE", True)


# -- fetch_hub_dataset --------------------------------------------------------------------------

TRAIN_ROWS = b'{"prompt": "a", "completion": "b"}\n{"prompt": "c", "completion": "d"}\n'
TEST_ROWS = b'{"prompt": "e", "completion": "f"}\n'


def test_dataset_split_file_is_fetched_with_format_commit_and_splits(hub: HubStandin, tmp_path: Path) -> None:
    sha = hub.add_dataset("acme/chat", {"train.jsonl": TRAIN_ROWS, "test.jsonl": TEST_ROWS, "README.md": b"# chat\n"})

    fetched = fetch_hub_dataset(
        "acme/chat", "main", subset=None, split="test", endpoint=hub.url, token=None, cache_dir=tmp_path
    )

    assert fetched.path.name == "test.jsonl"
    assert fetched.path.read_bytes() == TEST_ROWS
    assert fetched.format == "JSONL"
    assert fetched.commit_sha == sha
    assert fetched.splits == ("test", "train")
    assert [r.path for r in hub.requests_for(r"^/datasets/acme/chat/resolve/", "GET")] == [
        f"/datasets/acme/chat/resolve/{sha}/test.jsonl"
    ]


def test_dataset_sharded_parquet_split_takes_its_first_shard(hub: HubStandin, tmp_path: Path) -> None:
    files = {
        "data/train-00000-of-00002.parquet": b"PAR1 train shard 0",
        "data/train-00001-of-00002.parquet": b"PAR1 train shard 1",
        "data/validation-00000-of-00001.parquet": b"PAR1 validation",
    }
    sha = hub.add_dataset("acme/parquet", files)

    fetched = fetch_hub_dataset(
        "acme/parquet", "main", subset=None, split="train", endpoint=hub.url, token=None, cache_dir=tmp_path
    )

    assert fetched.path.read_bytes() == b"PAR1 train shard 0"
    assert fetched.path.as_posix().endswith(f"/snapshots/{sha}/data/train-00000-of-00002.parquet")
    assert (fetched.format, fetched.commit_sha, fetched.splits) == ("PARQUET", sha, ("train", "validation"))


def test_dataset_unknown_split_names_the_splits_found(hub: HubStandin, tmp_path: Path) -> None:
    hub.add_dataset("acme/no-validation", {"train.jsonl": TRAIN_ROWS, "test.jsonl": TEST_ROWS})

    error = failure(
        lambda: fetch_hub_dataset(
            "acme/no-validation",
            "main",
            subset=None,
            split="validation",
            endpoint=hub.url,
            token=None,
            cache_dir=tmp_path,
        )
    )

    assert (error.code, error.transient) == ("DATASET_SPLIT_NOT_FOUND", False)
    assert error.message == "acme/no-validation has no data file for split 'validation'; splits found: test, train."
    assert hub.requests_for(r"^/datasets/acme/no-validation/resolve/") == []


def test_dataset_subset_selects_its_folder(hub: HubStandin, tmp_path: Path) -> None:
    sha = hub.add_dataset(
        "acme/multilingual",
        {
            "en/train.jsonl": b'{"text": "hello"}\n',
            "en/test.jsonl": b'{"text": "bye"}\n',
            "fr/train.jsonl": b'{"text": "bonjour"}\n',
            "fr/validation.csv": b"text\nsalut\n",
        },
    )

    def fetch(subset: str | None, split: str) -> Path:
        found = fetch_hub_dataset(
            "acme/multilingual", "main", subset=subset, split=split, endpoint=hub.url, token=None, cache_dir=tmp_path
        )
        assert found.commit_sha == sha
        return found.path

    french = fetch_hub_dataset(
        "acme/multilingual", "main", subset="fr", split="validation", endpoint=hub.url, token=None, cache_dir=tmp_path
    )
    assert french.path.read_bytes() == b"text\nsalut\n"
    assert (french.format, french.splits) == ("CSV", ("train", "validation"))
    assert fetch("fr", "train").read_bytes() == b'{"text": "bonjour"}\n'
    assert fetch("en", "train").read_bytes() == b'{"text": "hello"}\n'
    assert fetch(None, "train").read_bytes() == b'{"text": "hello"}\n'  # no subset: the first folder in order
    error = failure(lambda: fetch("fr", "test"))  # only English has a test split
    assert error.code == "DATASET_SPLIT_NOT_FOUND"
    assert error.message.endswith("splits found: train, validation.")


def test_gated_dataset_needs_an_accepted_token(hub: HubStandin, tmp_path: Path) -> None:
    sha = hub.add_dataset("acme/gated-data", {"train.jsonl": TRAIN_ROWS}, gated=True)
    hub.tokens.add("hf_reader")

    def fetch(token: str | None) -> Path:
        return fetch_hub_dataset(
            "acme/gated-data", "main", subset=None, split="train", endpoint=hub.url, token=token, cache_dir=tmp_path
        ).path

    error = failure(lambda: fetch(None))
    assert (error.code, error.transient) == ("HUB_GATED", False)
    path = fetch("hf_reader")
    assert path.read_bytes() == TRAIN_ROWS
    assert path.parent.name == sha


def test_missing_dataset_is_not_found(hub: HubStandin, tmp_path: Path) -> None:
    error = failure(
        lambda: fetch_hub_dataset(
            "acme/no-data", "main", subset=None, split="train", endpoint=hub.url, token=None, cache_dir=tmp_path
        )
    )

    assert (error.code, error.transient) == ("HUB_NOT_FOUND", False)
    assert error.message == "The dataset acme/no-data@main was not found on the Hub (no such repository)."
