"""The rendered ``train.py`` and ``status.py``, imported from an unpacked bundle without the training stack.

Every format × trainer pair the rules allow renders a bundle whose ``train.py`` maps that
source's columns to the ones TRL's trainer reads; mixing, capping, held-out evaluation and the
local-run overrides are checked here too. ``status.py`` is run for real against a stand-in command.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.bundles import (
    SOURCES_BY_FORMAT,
    UPLOAD_ID,
    bundle_inputs,
    import_file,
    package_content,
    unpack,
    uploaded,
)
from workflow.core.bundle import pack, render_bundle
from workflow.rules.dataset import FORMAT_ROLES, TRAINER_FORMATS

PAIRS = [(trainer, fmt) for trainer, formats in TRAINER_FORMATS.items() for fmt in formats]

ROWS: dict[str, dict[str, Any]] = {
    "CHAT": {"conversation": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}]},
    "INSTRUCTION": {"ask": "Count to 2.", "reply": "1 2"},
    "COMPLETION": {"body": "Once upon a time."},
    "PREFERENCE": {"q": "Best colour?", "good": "Blue.", "bad": "Soup."},
}
"""One row of each format, in the columns ``SOURCES_BY_FORMAT`` maps."""

TRL_COLUMNS = {
    "CHAT": ("messages",),
    "INSTRUCTION": ("prompt", "completion"),
    "COMPLETION": ("text",),
    "PREFERENCE": ("prompt", "chosen", "rejected"),
}
"""The columns TRL's trainers read for each format (conversational, prompt-completion, language
modelling and preference datasets)."""


def _unpacked(tmp_path: Path, trainer: str, fmt: str) -> tuple[Path, ModuleType]:
    source = {"source": "UPLOAD", "uploadId": UPLOAD_ID, **SOURCES_BY_FORMAT[fmt]}
    content = package_content(sources=[source], config_changes={"trainer": trainer})
    data = (json.dumps(ROWS[fmt]) + "\n").encode()
    folder = unpack(pack(render_bundle(bundle_inputs(content, [uploaded("rows.jsonl", data)]))), tmp_path / "bundle")
    return folder, import_file(folder / "train.py", f"bundle_train_{trainer}_{fmt}")


@pytest.mark.parametrize(("trainer", "fmt"), PAIRS, ids=[f"{t}-{f}" for t, f in PAIRS])
def test_each_allowed_pair_maps_its_columns_to_what_the_trainer_reads(tmp_path: Path, trainer: str, fmt: str) -> None:
    folder, train = _unpacked(tmp_path, trainer, fmt)
    document = json.loads((folder / "datasets.json").read_text())
    (source,) = document["sources"]
    assert document["trainer"] == trainer
    row = json.loads((folder / source["file"]).read_text())
    shape = train.trainer_shape(trainer, [source["format"]])
    mapped = train.map_row(row, source["format"], source["columnMapping"], shape)
    assert tuple(mapped) == TRL_COLUMNS[fmt] == train.SHAPE_COLUMNS[shape]
    for role, column in SOURCES_BY_FORMAT[fmt]["columnMapping"].items():
        expected = ROWS[fmt][column]
        assert mapped[role] == expected, role


def test_the_entry_point_knows_the_rules_formats(tmp_path: Path) -> None:
    _, train = _unpacked(tmp_path, "SFT", "CHAT")
    assert train.FORMAT_ROLES == FORMAT_ROLES
    assert train.TRAINER_FORMATS == TRAINER_FORMATS


@pytest.fixture(scope="module")
def train(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return _unpacked(tmp_path_factory.mktemp("train"), "SFT", "CHAT")[1]


def test_a_mix_of_formats_shares_one_shape(train: ModuleType) -> None:
    assert train.trainer_shape("SFT", ["CHAT", "INSTRUCTION"]) == "messages"
    assert train.trainer_shape("SFT", ["INSTRUCTION"]) == "prompt_completion"
    assert train.trainer_shape("SFT", ["CHAT", "COMPLETION"]) == "text"
    assert train.trainer_shape("DPO", ["PREFERENCE"]) == "preference"
    for trainer, formats in [("DPO", ["CHAT"]), ("SFT", ["PREFERENCE"]), ("SFT", [])]:
        with pytest.raises(train.DataError):
            train.trainer_shape(trainer, formats)


def test_instructions_mixed_with_chats_become_a_user_and_an_assistant_turn(train: ModuleType) -> None:
    mapped = train.map_row(ROWS["INSTRUCTION"], "INSTRUCTION", {"prompt": "ask", "completion": "reply"}, "messages")
    assert mapped == {"messages": [{"role": "user", "content": "Count to 2."}, {"role": "assistant", "content": "1 2"}]}


def test_chats_mixed_with_completions_are_rendered_with_the_chat_template(train: ModuleType) -> None:
    def render(chat: list[dict[str, str]]) -> str:
        return "".join(f"<{m['role']}>{m['content']}" for m in chat)

    mapping = {"messages": "conversation"}
    assert train.map_row(ROWS["CHAT"], "CHAT", mapping, "text", render) == {"text": "<user>Hi?<assistant>Hello."}
    with pytest.raises(train.DataError, match="chat template"):
        train.map_row(ROWS["CHAT"], "CHAT", mapping, "text")


def test_a_chat_stored_as_json_text_is_decoded_and_trimmed_to_role_and_content(train: ModuleType) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["conversation"])
    chat = [{"role": "user", "content": "a", "name": "x"}, {"role": "assistant", "content": "b"}]
    writer.writerow([json.dumps(chat)])
    (row,) = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    mapped = train.map_row(row, "CHAT", {"messages": "conversation"}, "messages")
    assert mapped["messages"] == [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]


@pytest.mark.parametrize(
    "value", ["not json", [], [{"role": "user"}], [{"role": 1, "content": "x"}], ["text"], {"role": "user"}]
)
def test_malformed_chats_are_refused(train: ModuleType, value: Any) -> None:
    with pytest.raises(train.DataError):
        train.map_row({"c": value}, "CHAT", {"messages": "c"}, "messages")


def test_a_missing_mapped_value_is_refused(train: ModuleType) -> None:
    with pytest.raises(train.DataError, match="'reply'"):
        train.map_row({"ask": "x", "reply": None}, "INSTRUCTION", {"prompt": "ask", "completion": "reply"}, "messages")
    with pytest.raises(train.DataError, match="role"):
        train.map_row({"ask": "x"}, "INSTRUCTION", {"prompt": "ask"}, "prompt_completion")


def _rows(train: ModuleType, rows: int = 100, **options: Any) -> tuple[list[int], list[int]]:
    settings: dict[str, Any] = {"weight": 1.0, "max_samples": None, "eval_fraction": None, "seed": 42, "index": 0}
    result: tuple[list[int], list[int]] = train.source_rows(rows, **{**settings, **options})
    return result


def test_weights_repeat_or_subsample_rows(train: ModuleType) -> None:
    assert _rows(train) == (list(range(100)), [])
    doubled, _ = _rows(train, weight=2.0)
    assert sorted(doubled) == sorted(list(range(100)) * 2)
    half, _ = _rows(train, weight=0.5)
    assert len(half) == 50 and len(set(half)) == 50
    more, _ = _rows(train, weight=1.5)
    assert len(more) == 150 and set(more) == set(range(100))
    assert _rows(train, weight=0.5) == _rows(train, weight=0.5)  # seeded
    assert _rows(train, weight=0.5) != _rows(train, weight=0.5, index=1)  # each source samples on its own
    for weight in (0.0, -1.0, float("nan")):
        with pytest.raises(train.DataError):
            _rows(train, weight=weight)


def test_the_cap_and_the_evaluation_rows_come_before_the_weight(train: ModuleType) -> None:
    capped, _ = _rows(train, max_samples=30)
    assert len(capped) == 30
    training, held = _rows(train, max_samples=40, eval_fraction=0.25, weight=3.0)
    assert len(held) == 10
    assert len(training) == 90 and len(set(training)) == 30
    assert not set(held) & set(training)  # a repeated row never leaks into the evaluation
    assert _rows(train, rows=1, eval_fraction=0.5) == ([0], [])


def test_local_overrides(train: ModuleType, tmp_path: Path) -> None:
    config = {
        "model_name_or_path": "acme/base",
        "model_revision": "a" * 40,
        "model_init_kwargs": {"dtype": "bfloat16", "revision": "a" * 40},
        "bf16": True,
        "push_to_hub": True,
        "hub_model_id": "acme/out",
    }
    options = train.parse_options(["--model", "/m", "--max-steps", "20", "--cpu", "--no-push"], {})
    changed = train.apply_overrides(config, options)
    assert changed["model_name_or_path"] == "/m"
    assert "model_revision" not in changed and changed["model_init_kwargs"] == {"dtype": "bfloat16"}
    assert (changed["use_cpu"], changed["bf16"], changed["fp16"], changed["max_steps"]) == (True, False, False, 20)
    assert changed["push_to_hub"] is False and "hub_model_id" not in changed
    assert config["bf16"] is True  # the file's settings are not mutated
    assert train.apply_overrides(config, train.parse_options([], {})) == config
    environ = {"TRAINPACK_MAX_STEPS": "7", "TRAINPACK_CPU": "1", "TRAINPACK_DATA_DIR": str(tmp_path)}
    from_env = train.parse_options([], environ)
    assert (from_env.max_steps, from_env.cpu, from_env.data_dir, from_env.no_push) == (7, True, tmp_path, False)
    with pytest.raises(train.DataError, match="GPU"):
        train.apply_overrides({"load_in_4bit": True}, options)
    with pytest.raises(train.DataError, match="GPU"):
        train.apply_overrides({"optim": "paged_adamw_8bit"}, options)


def test_progress_records(train: ModuleType) -> None:
    step = train.progress_record(
        {"loss": 5.1, "learning_rate": 1e-3, "grad_norm": 0.4}, step=3, epoch=0.5, tokens_per_second=900.0
    )
    assert step == {
        "event": "log",
        "step": 3,
        "epoch": 0.5,
        "loss": 5.1,
        "learning_rate": 1e-3,
        "tokens_per_second": 900.0,
        "metrics": {"grad_norm": 0.4},
    }
    evaluation = train.progress_record({"eval_loss": 4.0}, step=3, epoch=1.0, tokens_per_second=None)
    assert (evaluation["event"], evaluation["loss"]) == ("eval", 4.0)
    summary = train.progress_record(
        {"train_loss": 4.5, "train_runtime": 2.0}, step=9, epoch=1.0, tokens_per_second=None
    )
    assert (summary["event"], summary["loss"]) == ("summary", None)


def test_saved_adapter_targets_are_sorted(train: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "adapter_config.json").write_text(json.dumps({"target_modules": ["v_proj", "k_proj", "q_proj"]}))
    train.canonical_adapter_config(tmp_path)
    assert json.loads((tmp_path / "adapter_config.json").read_text())["target_modules"] == [
        "k_proj",
        "q_proj",
        "v_proj",
    ]
    train.canonical_adapter_config(tmp_path / "nothing-here")


# -- status.py -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def status_module(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ModuleType]:
    folder, _ = _unpacked(tmp_path_factory.mktemp("status"), "SFT", "CHAT")
    return folder / "status.py", import_file(folder / "status.py", "bundle_status")


def test_the_status_follows_progress_lines_and_the_exit_code(status_module: tuple[Path, ModuleType]) -> None:
    status = status_module[1].Status()
    assert status.snapshot()["state"] == "starting"
    status.record_output('{"event": "start"}\n')
    status.record_output('{"event": "log", "step": 1, "loss": 2.0}\n')
    status.record_output("plain text\n")
    status.record_log("a warning\n")
    snapshot = status.snapshot()
    assert (snapshot["state"], snapshot["progress"]["step"], snapshot["progressLines"]) == ("training", 1, 1)
    assert snapshot["logTail"] == ["plain text", "a warning"]
    status.finish(3)
    assert (status.snapshot()["state"], status.snapshot()["exitCode"]) == ("failed", 3)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(port: int, path: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _wait_for(port: int, state: str, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, body = _get(port, "/")
        except OSError:
            time.sleep(0.05)
            continue
        if body["state"] == state:
            return body
        time.sleep(0.05)
    raise AssertionError(f"the status never became {state}")


@pytest.mark.parametrize(("code", "state"), [(0, "succeeded"), (2, "failed")])
def test_the_status_app_serves_the_training_progress(
    status_module: tuple[Path, ModuleType], tmp_path: Path, code: int, state: str
) -> None:
    go = tmp_path / "go"
    child = (
        "import json, pathlib, sys, time\n"
        "print(json.dumps({'event': 'log', 'step': 1, 'loss': 2.0}), flush=True)\n"
        f"while not pathlib.Path({str(go)!r}).exists(): time.sleep(0.02)\n"
        "print(json.dumps({'event': 'log', 'step': 2, 'loss': 1.0}), flush=True)\n"
        f"print('boom' if {code} else 'fine', file=sys.stderr, flush=True)\n"
        f"sys.exit({code})\n"
    )
    port = _free_port()
    command = [sys.executable, str(status_module[0]), "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--", sys.executable, "-c", child], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        training = _wait_for(port, "training")
        assert (training["progress"]["step"], training["exitCode"]) == (1, None)
        go.touch()
        ended = _wait_for(port, state)
        assert (ended["progress"]["step"], ended["exitCode"], ended["progressLines"]) == (2, code, 2)
        assert ended["logTail"] == ["boom" if code else "fine"]
        assert _get(port, "/health") == (200, {"ok": True})
        assert _get(port, "/nope")[0] == 404
        assert process.poll() is None  # it keeps answering once the training has ended
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert out.count('"event": "log"') == 2  # the training's output is copied to the Space's log


def test_the_status_app_can_exit_with_the_training(status_module: tuple[Path, ModuleType]) -> None:
    command = [sys.executable, str(status_module[0]), "--host", "127.0.0.1", "--port", str(_free_port())]
    result = subprocess.run(
        [*command, "--exit-when-done", "--", sys.executable, "-c", "raise SystemExit(5)"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 5
    missing = subprocess.run([*command], capture_output=True, text=True, timeout=30, check=False)
    assert missing.returncode == 2 and "after --" in missing.stderr
