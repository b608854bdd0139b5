"""Issue 4 (b): model download throughput from the Hub stand-in against a plain HTTP GET of the same files.

The stand-in serves a sharded safetensors model (plus its config and tokenizer files) from
this process. Each side runs in a fresh child process (``bench.download_client``) into an
empty folder, so neither shares a GIL with the server nor finds a file already on disk.
System: the DOWNLOAD_MODEL job's download (metadata, disk precheck, ``snapshot_download``
with progress, sha256 verification). Baseline: one streamed GET per selected file, with the
same number of files in flight at once as the job's download.
Ratio = system MB/s / baseline MB/s (medians), target >= 0.8. Sides alternate over rounds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from bench.support import PROJECT_ROOT, BenchError, Measurement, Profile, median
from tests.support.hub_standin import HubStandin
from tests.support.model_files import large_model
from workers.integrations.downloads import DEFAULT_ALLOW, DEFAULT_IGNORE, selected

TARGET = 0.8
REPO = "bench/sharded"


def _timed(side: str, endpoint: str, files: list[str]) -> float:
    """Megabytes per second of one download by ``side`` into a fresh folder."""
    with tempfile.TemporaryDirectory(prefix="trainpack-bench-download-") as folder:
        environment = {**os.environ, "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HOME": folder}
        finished = subprocess.run(
            [sys.executable, "-m", "bench.download_client", side, endpoint, REPO, folder, json.dumps(files)],
            cwd=PROJECT_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        if finished.returncode != 0:
            raise BenchError(f"the {side} download failed:\n{finished.stderr[-3000:]}")
        figures = json.loads(finished.stdout.strip().splitlines()[-1])
    return float(figures["bytes"]) / 1e6 / float(figures["seconds"])


def run(database_url: str, profile: Profile) -> Measurement:
    """Alternate the two sides over the rounds; the ratio of the medians."""
    del database_url  # no database: this measures the transfer
    size_mb = 128 if profile.quick else 512
    model = large_model(size_mb, shards=4)
    files = sorted(name for name in model.files if selected(name, DEFAULT_ALLOW, DEFAULT_IGNORE))
    total_mb = sum(len(model.files[name]) for name in files) / 1e6
    baseline_rates: list[float] = []
    system_rates: list[float] = []
    with HubStandin() as hub:
        hub.add_model(REPO, model.files)
        _timed("baseline", hub.url, files)  # warm-up of both sides (imports, page cache)
        _timed("system", hub.url, files)
        for round_number in range(profile.rounds):
            order = ("baseline", "system") if round_number % 2 == 0 else ("system", "baseline")
            for side in order:
                rate = _timed(side, hub.url, files)
                (baseline_rates if side == "baseline" else system_rates).append(rate)
                print(f"  round {round_number + 1} {side:8} {rate:8.1f} MB/s", flush=True)
    baseline = median(baseline_rates)
    system = median(system_rates)
    ratio = system / baseline
    return Measurement(
        name="(g) model download throughput",
        summary=(
            f"download job {system:.0f} MB/s, plain GET {baseline:.0f} MB/s "
            f"({len(files)} files, {total_mb:.0f} MB, verified)"
        ),
        ratio=ratio,
        target=f"job/plain GET >= {TARGET}",
        passed=ratio >= TARGET,
        details={"system_mb_per_second": system_rates, "baseline_mb_per_second": baseline_rates, "mb": total_mb},
    )
