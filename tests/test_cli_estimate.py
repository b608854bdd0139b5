"""``trainpack estimate``: the real command, as a user runs it (no server, no Hub)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.workflow.test_architecture import LLAMA_3_2_1B

REQUIRED = ["--method", "LORA", "--precision", "bf16", "--batch-size", "4", "--max-seq-length", "1024"]


def _estimate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trainpack", "estimate", *args], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def model_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(LLAMA_3_2_1B))
    return path


def test_json_output_is_one_object_with_the_estimate(model_config: Path) -> None:
    result = _estimate("--model-config", str(model_config), *REQUIRED, "--tokens", "20000000", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["parameters"] == 1_235_814_400
    assert 1 < document["peakMemoryGiB"] < 24
    assert set(document["breakdownGiB"]) == {
        "weights",
        "adapters",
        "gradients",
        "optimizer",
        "activations",
        "logits",
        "overhead",
    }
    flavours = {flavour["name"]: flavour for flavour in document["flavours"]}
    assert flavours["a100-large"]["fits"] and flavours["a100-large"]["hours"] > 0
    assert not flavours["cpu-basic"]["fits"]
    assert document["recommended"] in flavours and flavours[document["recommended"]]["fits"]
    assert any(item["key"] == "utilisation" for item in document["assumptions"])


def test_the_folder_works_and_options_change_the_answer(model_config: Path) -> None:
    plain = json.loads(_estimate("--model-config", str(model_config.parent), *REQUIRED, "--json").stdout)
    checkpointed = json.loads(
        _estimate("--model-config", str(model_config), *REQUIRED, "--gradient-checkpointing", "--json").stdout
    )
    assert checkpointed["breakdownGiB"]["activations"] < plain["breakdownGiB"]["activations"]
    assert plain["flavours"][0]["hours"] is None
    qv = json.loads(
        _estimate("--model-config", str(model_config), *REQUIRED, "--target-modules", "q_proj,v_proj", "--json").stdout
    )
    assert qv["trainableParameters"] < plain["trainableParameters"]


def test_a_readable_table_without_json(model_config: Path) -> None:
    result = _estimate("--model-config", str(model_config), *REQUIRED, "--method", "QLORA")
    assert result.returncode == 0, result.stderr
    assert "Peak memory per GPU" in result.stdout and "Recommended" in result.stdout and "a100-large" in result.stdout


def test_an_unknown_family_needs_params(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**LLAMA_3_2_1B, "model_type": "mixtral"}))
    refused = _estimate("--model-config", str(path), *REQUIRED, "--json")
    assert refused.returncode == 2 and "--params" in refused.stderr
    stated = _estimate("--model-config", str(path), *REQUIRED, "--params", "1300000000", "--json")
    assert stated.returncode == 0 and json.loads(stated.stdout)["parameters"] == 1_300_000_000


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--optimizer", "lion"], "Unknown optimizer"),
        (["--method", "QLORA", "--precision", "fp32"], "16 bits"),
        (["--target-modules", "attn_proj"], "No linear layer named attn_proj"),
        (["--method", "PREFIX"], "PREFIX"),
        (["--batch-size", "0"], "batch-size"),
    ],
)
def test_bad_input_fails_clearly_without_a_traceback(model_config: Path, extra: list[str], message: str) -> None:
    result = _estimate("--model-config", str(model_config), *REQUIRED, *extra)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_missing_or_malformed_config_fails_clearly(tmp_path: Path) -> None:
    missing = _estimate("--model-config", str(tmp_path / "nope.json"), *REQUIRED)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert "not valid JSON" in _estimate("--model-config", str(broken), *REQUIRED).stderr
    shapeless = tmp_path / "shapeless.json"
    shapeless.write_text(json.dumps({"model_type": "llama"}))
    result = _estimate("--model-config", str(shapeless), *REQUIRED)
    assert result.returncode == 2 and "dimensions" in result.stderr and "Traceback" not in result.stderr
