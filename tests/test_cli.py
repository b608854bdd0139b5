"""The `trainpack` command: token management and the zero-configuration dev launcher."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.servers import free_port

VIEWER = {"query": "{ viewer { organisation { name } scopes } }"}
CREATE = {"query": 'mutation { createPackage(input: {name: "kept"}) { __typename } }'}
PACKAGES = {"query": "{ packages { edges { node { name } } } }"}


def _trainpack(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trainpack", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_token_create_list_revoke(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}
    created = _trainpack("token", "create", "--org", "cli-org", "--name", "ci", "--scope", "read", env=env)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("tp_")
    listed = _trainpack("token", "list", env=env)
    line = next(line for line in listed.stdout.splitlines() if "cli-org" in line)
    assert secret not in listed.stdout and "active" in line
    token_id = line.split()[0]
    assert _trainpack("token", "revoke", token_id, env=env).returncode == 0
    assert "revoked" in next(
        line for line in _trainpack("token", "list", env=env).stdout.splitlines() if line.startswith(token_id)
    )
    assert _trainpack("token", "revoke", token_id, env=env).returncode == 1
    bad_scope = _trainpack("token", "create", "--org", "cli-org", "--scope", "root", env=env)
    assert bad_scope.returncode != 0


def _start_dev(data_dir: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "TRAINPACK_DATABASE_URL", "TRAINPACK_TEST_DATABASE_URL")
    }
    env |= {"TRAINPACK_DATA_DIR": str(data_dir), "TRAINPACK_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "trainpack", "dev", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    output = ""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        output += line
        match = re.search(r"Authorization: Bearer (tp_\S+)", line)
        if match:
            assert f"Signed in: http://127.0.0.1:{port}/graphql#token={match.group(1)} " in output  # GraphiQL's link
            return process, match.group(1)
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"dev did not print a token:\n{output}")


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    finally:
        if process.stdout:
            process.stdout.close()


def _ready(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("dev server never became ready")


def test_dev_runs_with_no_configuration_and_keeps_its_data(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process, token = _start_dev(tmp_path / "data", port)
    try:
        _ready(url)
        headers = {"Authorization": f"Bearer {token}"}
        assert "graphiql" in httpx.get(f"{url}/graphql", headers={"Accept": "text/html"}).text.lower()
        viewer = httpx.post(f"{url}/graphql", json=VIEWER, headers=headers).json()
        assert viewer["data"]["viewer"]["organisation"]["name"] == "dev"
        created = httpx.post(f"{url}/graphql", json=CREATE, headers=headers).json()
        assert created["data"]["createPackage"]["__typename"] == "PackageCreated"
    finally:
        _stop(process)
    process, second_token = _start_dev(tmp_path / "data", port)
    try:
        _ready(url)
        old = httpx.post(f"{url}/graphql", json=VIEWER, headers={"Authorization": f"Bearer {token}"}).json()
        assert old["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"  # the previous dev token was revoked
        listing = httpx.post(
            f"{url}/graphql", json=PACKAGES, headers={"Authorization": f"Bearer {second_token}"}
        ).json()
        assert [edge["node"]["name"] for edge in listing["data"]["packages"]["edges"]] == ["kept"]
    finally:
        _stop(process)


def test_the_other_commands_use_the_running_dev_instance(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = tmp_path / "data"
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "TRAINPACK_DATABASE_URL")}
    env |= {"TRAINPACK_DATA_DIR": str(data_dir)}
    assert _trainpack("token", "list", env=env).returncode == 2  # nothing to find before dev runs
    process, _ = _start_dev(data_dir, port)
    try:
        _ready(url)
        created = _trainpack("token", "create", "--org", "scripted", "--scope", "read", env=env)
        assert created.returncode == 0, created.stderr
        viewer = httpx.post(
            f"{url}/graphql", json=VIEWER, headers={"Authorization": f"Bearer {created.stdout.strip()}"}
        )
        assert viewer.json()["data"]["viewer"]["organisation"]["name"] == "scripted"
    finally:
        _stop(process)
    assert _trainpack("token", "list", env=env).returncode == 2  # the instance is gone, and so is its file
