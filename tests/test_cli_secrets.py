"""The secret key at the command line: serving processes refuse a missing or wrong key in one line,
`trainpack secrets rotate-key` re-encrypts everything at once, and the dev launcher keeps its key."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet, InvalidToken

from tests.support.secrets import private_database, stored
from tests.support.servers import free_port, wait_until_ready
from trainpack.database import unit_of_work
from workflow import secrets, tokens
from workflow.access import Scope
from workflow.sealing import SecretBox, new_key

pytestmark = pytest.mark.slow

VALUE = "hf_rotation_value_0123456789"


def _trainpack(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trainpack", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _env(database_url: str, **extra: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("TRAINPACK_SECRET_KEY", "TRAINPACK_OLD_SECRET_KEY", "TRAINPACK_NEW_SECRET_KEY")
    }
    return {**environment, "DATABASE_URL": database_url, "TRAINPACK_LOG_LEVEL": "WARNING", **extra}


@pytest.fixture
def sealed_database(server_url: str) -> Iterator[tuple[str, str]]:
    """A database holding one secret sealed under a key; the URL and the key."""
    key = new_key()
    with private_database(server_url) as url:
        asyncio.run(_store(url, key, "HF_TOKEN", VALUE))
        yield url, key


async def _store(url: str, key: str, name: str, value: str) -> None:
    async with unit_of_work(url) as uow:
        issued = await tokens.issue(uow, f"cli-{uuid.uuid4().hex[:8]}", "admin", [Scope.ADMIN])
    actor = tokens.actor_of((issued.token, issued.organisation))
    assert actor is not None
    async with unit_of_work(url) as uow:
        await secrets.set_secret(uow, actor, SecretBox([key]), name, value)


def _refused_in_one_line(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("command", [("serve", "--port", "1"), ("worker",)])
def test_a_serving_process_refuses_a_missing_or_wrong_key(
    sealed_database: tuple[str, str], redis_url: str, command: tuple[str, ...]
) -> None:
    url, _ = sealed_database
    base = _env(url, REDIS_URL=redis_url, TRAINPACK_WORKER_METRICS_PORT="0")
    _refused_in_one_line(_trainpack(*command, env=base), "TRAINPACK_SECRET_KEY is not set")
    wrong = {**base, "TRAINPACK_SECRET_KEY": new_key()}
    _refused_in_one_line(_trainpack(*command, env=wrong), "does not decrypt the stored secrets")
    malformed = {**base, "TRAINPACK_SECRET_KEY": "not-a-key"}
    _refused_in_one_line(_trainpack(*command, env=malformed), "is not a Fernet key")


def test_the_right_key_serves(sealed_database: tuple[str, str]) -> None:
    url, key = sealed_database
    port = free_port()
    env = _env(url, TRAINPACK_SECRET_KEY=f"{key}")
    process = subprocess.Popen(
        [sys.executable, "-m", "trainpack", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_ready(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_rotation_re_encrypts_everything_and_the_old_key_stops_working(sealed_database: tuple[str, str]) -> None:
    url, old = sealed_database
    asyncio.run(_store(url, old, "SECOND_TOKEN", "another-value-0123456789"))
    new = new_key()
    before = stored(url)
    wrong = _trainpack(
        "secrets", "rotate-key", env=_env(url, TRAINPACK_OLD_SECRET_KEY=new_key(), TRAINPACK_NEW_SECRET_KEY=new)
    )
    _refused_in_one_line(wrong, "nothing was changed")
    assert stored(url) == before

    rotated = _trainpack(
        "secrets", "rotate-key", env=_env(url, TRAINPACK_OLD_SECRET_KEY=old, TRAINPACK_NEW_SECRET_KEY=new)
    )
    assert rotated.returncode == 0, rotated.stderr
    assert rotated.stdout.strip() == "re-encrypted 2 secrets"
    after = stored(url)
    assert [name for name, _, _ in after] == ["HF_TOKEN", "SECOND_TOKEN"]
    for (_, sealed, _), value in zip(after, ("hf_rotation_value_0123456789", "another-value-0123456789"), strict=True):
        assert Fernet(new.encode()).decrypt(sealed).decode() == value
        with pytest.raises(InvalidToken):
            Fernet(old.encode()).decrypt(sealed)
    _refused_in_one_line(
        _trainpack("serve", "--port", "1", env=_env(url, TRAINPACK_SECRET_KEY=old)), "does not decrypt"
    )
    # During a rotation a process may hold both keys: the first seals, either opens.
    assert asyncio.run(_check(url, f"{new},{old}")) is None


async def _check(url: str, setting: str) -> str | None:
    async with unit_of_work(url) as uow:
        return await secrets.check_key(uow, SecretBox.from_setting(setting))


def test_generate_key_prints_a_fernet_key() -> None:
    result = _trainpack("secrets", "generate-key", env=dict(os.environ))
    assert result.returncode == 0
    Fernet(result.stdout.strip().encode())  # raises if it is not one


def test_the_dev_instance_makes_its_key_once_and_keeps_it(server_url: str, tmp_path: Path) -> None:
    with private_database(server_url) as url:
        data_dir = tmp_path / "data"
        first = _run_dev(url, data_dir)
        key_file = data_dir / "secret-key"
        assert key_file.stat().st_mode & 0o777 == 0o600
        key = key_file.read_text().strip()
        Fernet(key.encode())
        asyncio.run(_store(url, key, "HF_TOKEN", VALUE))
        second = _run_dev(url, data_dir)  # starts: its kept key opens what the first run sealed
        assert key_file.read_text().strip() == key
        assert first and second
        key_file.write_text(new_key() + "\n")
        env = _env(url, TRAINPACK_DATA_DIR=str(data_dir))
        _refused_in_one_line(_trainpack("dev", "--port", str(free_port()), env=env), "does not decrypt")


def _run_dev(url: str, data_dir: Path) -> bool:
    """Start `trainpack dev` on ``url``, wait until it answers, stop it; whether it served."""
    port = free_port()
    env = _env(url, TRAINPACK_DATA_DIR=str(data_dir))
    process = subprocess.Popen(
        [sys.executable, "-m", "trainpack", "dev", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                return False
            time.sleep(0.2)
        return False
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
