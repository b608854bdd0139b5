"""Downloading a published version's bundle: streamed, its sha256 checked before it is kept."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin

import httpx

from client.connection import Connection


class BundleDigestError(Exception):
    """The bytes received do not hash to the bundle's sha256 (nothing is kept)."""


async def download(
    connection: Connection,
    download_url: str,
    sha256: str,
    target: Path,
    on_bytes: Callable[[int], None] | None = None,
) -> Path:
    """Fetch ``download_url`` (relative to the server) into ``target``, all or nothing."""
    url = urljoin(connection.url.rstrip("/") + "/", download_url)
    partial = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    headers = {"Authorization": f"Bearer {connection.token}"}
    async with httpx.AsyncClient(timeout=60) as http, http.stream("GET", url, headers=headers) as response:
        response.raise_for_status()
        with partial.open("wb") as sink:
            async for chunk in response.aiter_bytes():
                sink.write(chunk)
                digest.update(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
    if digest.hexdigest() != sha256:
        partial.unlink()
        raise BundleDigestError(f"the download hashes to {digest.hexdigest()}, not {sha256}")
    partial.replace(target)
    return target
