"""GraphiQL in a real browser (Debian's Chromium under Playwright), offline: the page opened with
``#token=…`` loads only from its own origin, runs a query, and streams a subscription's events
as saves are made from the test."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, Route, async_playwright

from tests.support.content import CONFIG
from tests.support.flows import create_package, save
from tests.support.graphql import Api
from tests.support.servers import InProcessServer

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"), reason="Chromium is not installed (apt-get install chromium)"
)

EVENTS = """subscription { packageEvents(packageId: "%s") {
  __typename ... on DraftSavedEvent { revision trigger } } }"""


class Origins:
    """Every request the page makes, and those to another origin (aborted: the test is offline)."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.requests: list[str] = []
        self.foreign: list[str] = []

    async def route(self, route: Route) -> None:
        url = route.request.url
        self.requests.append(url)
        if _origin(url) != self.origin:
            self.foreign.append(url)
            await route.abort()
            return
        await route.continue_()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return f"{scheme}://{parts.netloc}"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield launched
        finally:
            await launched.close()


async def _editor(page: Page, area: str) -> Any:
    return await page.evaluate(f"document.querySelector('{area} .CodeMirror').CodeMirror.getValue()")


async def _run(page: Page, document: str) -> None:
    await page.evaluate(
        "text => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(text)", document
    )
    await page.click(".graphiql-execute-button")


async def _response_with(page: Page, needle: str, timeout: float = 20.0) -> str:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        text: str = await _editor(page, ".graphiql-response")
        if needle in text:
            return text
        await asyncio.sleep(0.1)
    raise AssertionError(
        f"{needle!r} never appeared; the response pane shows {await _editor(page, '.graphiql-response')!r}"
    )


async def test_graphiql_runs_a_query_and_streams_a_subscription_offline(
    browser: Browser, api: Api, api_server: InProcessServer
) -> None:
    origins = Origins(api_server.base_url)
    context = await browser.new_context()
    await context.route("**/*", origins.route)
    page = await context.new_page()
    sockets: list[str] = []
    problems: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    await page.goto(f"{api_server.graphql_url}#token={api.token}")
    await page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=30_000)
    headers = json.loads(await _editor(page, ".graphiql-editor-tool .graphiql-editor:not(.hidden)"))
    assert headers == {"Authorization": f"Bearer {api.token}"}  # pre-filled from the address

    await _run(page, "{ viewer { scopes } }")
    assert json.loads(await _response_with(page, "scopes"))["data"]["viewer"]["scopes"] == ["publish", "read", "write"]

    package_id, revision = await create_package(api)
    await _run(page, EVENTS % package_id)
    await asyncio.sleep(1.0)  # the socket opens and the subscription starts
    revisions = []
    for seed in range(2):
        saved = await save(api, package_id, revision, {"config": {**CONFIG, "seed": seed}}, trigger="AUTOSAVE")
        revision = saved["revision"]
        revisions.append(revision)
        shown = json.loads(await _response_with(page, f'"revision": {revision}'))
        assert shown["data"]["packageEvents"] == {
            "__typename": "DraftSavedEvent",
            "revision": revision,
            "trigger": "AUTOSAVE",
        }

    assert origins.foreign == []
    assert sockets and all(_origin(url) == api_server.base_url for url in sockets)
    assert any("/graphiql/assets/vendor/graphiql.min.js" in url for url in origins.requests)
    assert [problem for problem in problems if "Content Security Policy" in problem] == []
    await context.close()


async def test_graphiql_with_a_bad_token_shows_the_refusal_of_http_and_websocket(
    browser: Browser, api: Api, api_server: InProcessServer
) -> None:
    package_id, _ = await create_package(api)
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{api_server.graphql_url}#token=tp_wrong")
    await page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=30_000)
    await _run(page, "{ viewer { scopes } }")
    assert "UNAUTHENTICATED" in await _response_with(page, "errors")
    await _run(page, EVENTS % package_id)
    started = asyncio.get_running_loop().time()
    assert "4403" in await _response_with(page, "4403")  # the socket is refused: no event, a clear error
    assert asyncio.get_running_loop().time() - started < 5  # and at once: a refusal is not retried
    await context.close()
