"""GraphiQL from local assets: the page names no other host, its CSP allows only 'self', its
assets are served with their content types, and a subscription opened the way the page opens one
(the Headers tab's token in ``connection_init``) receives events."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from api.graphiql.page import ASSETS_DIR, ASSETS_PATH, CONTENT_SECURITY_POLICY
from tests.support.content import CONFIG
from tests.support.flows import create_package, save
from tests.support.graphql import Api
from tests.support.servers import InProcessServer
from tests.support.ws import WsClient

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
EVENTS = """subscription ($id: ID!) { packageEvents(packageId: $id) {
  __typename ... on DraftSavedEvent { revision trigger } } }"""
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".png": "image/png",
    ".json": "application/json",
    ".txt": "text/plain",
    ".svg": "image/svg+xml",
}


class _References(HTMLParser):
    """Every ``src`` and ``href`` of a page, and its inline scripts and styles (there must be none)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls.extend(value for name, value in attrs if name in ("src", "href") and value)
        self.inline.extend(f"{tag} {name}" for name, _ in attrs if name == "style" or name.startswith("on"))
        self._in = tag if tag in ("script", "style") else None

    def handle_data(self, data: str) -> None:
        if self._in and data.strip():
            self.inline.append(f"{self._in}: {data[:40]}")


def _css_urls(css: str) -> list[str]:
    return [match.strip("'\"") for match in re.findall(r"url\(\s*([^)]*?)\s*\)", css)] + re.findall(
        r"@import\s+[\"']([^\"']+)", css
    )


def _same_origin(base: str, reference: str) -> bool:
    target = urlsplit(urljoin(base, reference))
    return (target.scheme, target.netloc) == tuple(urlsplit(base)[:2])


@pytest.fixture(scope="module")
def page(api_server: InProcessServer) -> tuple[httpx.Response, _References]:
    response = httpx.get(api_server.graphql_url, headers=HTML, timeout=30)
    parser = _References()
    parser.feed(response.text)
    return response, parser


def test_the_page_is_served_with_a_csp_that_allows_only_self(page: tuple[httpx.Response, _References]) -> None:
    response, parser = page
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    policy = dict(
        directive.strip().split(" ", 1) for directive in response.headers["content-security-policy"].split(";")
    )
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    for directive in ("default-src", "script-src", "style-src", "img-src", "font-src", "connect-src"):
        assert policy[directive] == "'self'", directive
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert parser.inline == []  # the CSP would block inline code: there is none to block


def test_every_reference_of_the_page_and_its_css_is_on_this_origin(
    api_server: InProcessServer, page: tuple[httpx.Response, _References]
) -> None:
    _, parser = page
    assert len(parser.urls) >= 7 and all(url.startswith(ASSETS_PATH + "/") for url in parser.urls)
    checked = 0
    for url in parser.urls:
        absolute = urljoin(api_server.graphql_url, url)
        assert _same_origin(api_server.graphql_url, url), url
        if url.endswith(".css"):
            css = httpx.get(absolute, timeout=30).text
            for reference in _css_urls(css):
                assert not reference.startswith("data:") and _same_origin(absolute, reference), reference
                assert httpx.get(urljoin(absolute, reference), timeout=30).status_code == 200, reference
                checked += 1
    assert checked > 10  # the fonts and images GraphiQL's CSS uses


def test_our_script_connects_only_to_the_page_origin() -> None:
    script = (ASSETS_DIR / "trainpack-graphiql.js").read_text()
    assert "://" not in script  # every URL it builds is relative to the page's own location
    assert "connectionParams: authorization ? { Authorization: authorization }" in script


def test_the_page_and_its_assets_have_their_content_types(api_server: InProcessServer) -> None:
    files = [path for path in ASSETS_DIR.rglob("*") if path.is_file()]
    assert files
    with httpx.Client(base_url=api_server.base_url, timeout=30) as client:
        for path in files:
            response = client.get(f"{ASSETS_PATH}/{path.relative_to(ASSETS_DIR).as_posix()}")
            assert response.status_code == 200, path
            assert response.headers["content-type"].split(";")[0] == CONTENT_TYPES[path.suffix], path
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.content == path.read_bytes()
        assert client.get(f"{ASSETS_PATH}/../page.py").status_code == 404
        assert client.get(f"{ASSETS_PATH}/vendor/nothing.js").status_code == 404


def test_the_vendored_files_are_those_of_the_manifest() -> None:
    vendor = ASSETS_DIR / "vendor"
    manifest = json.loads((vendor / "manifest.json").read_text())
    listed = {entry["path"]: entry for entry in manifest["files"]}
    present = {path.relative_to(vendor).as_posix() for path in vendor.rglob("*") if path.is_file()}
    assert present - {"manifest.json"} == set(listed)
    for name, entry in listed.items():
        data = (vendor / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"], name
    assert manifest["packages"]["graphiql"].startswith("3.") and manifest["packages"]["react"].startswith("18.")
    lock = json.loads((Path(__file__).resolve().parents[2] / "web/graphiql/package-lock.json").read_text())
    for package, version in manifest["packages"].items():
        assert lock["packages"][f"node_modules/{package}"]["version"] == version


def test_with_graphiql_off_there_is_no_page_and_no_asset(database_url: str) -> None:
    with InProcessServer.start(database_url, graphiql=False) as server:
        assert httpx.get(server.graphql_url, headers=HTML, timeout=30).status_code == 404
        assert httpx.get(f"{server.base_url}{ASSETS_PATH}/trainpack-graphiql.js", timeout=30).status_code == 404


@pytest.mark.parametrize("header", ["Authorization", "authorization"])
async def test_a_subscription_with_the_pages_connection_parameters_receives_events(
    api: Api, api_server: InProcessServer, header: str
) -> None:
    package_id, revision = await create_package(api)
    # The Headers tab holds {"<header>": "Bearer <token>"}; the page sends {"Authorization": that value}.
    typed_in_the_headers_tab = {header: f"Bearer {api.token}"}
    connection_params = {"Authorization": next(iter(typed_in_the_headers_tab.values()))}
    subscribe = {"id": "1", "type": "subscribe", "payload": {"query": EVENTS, "variables": {"id": package_id}}}
    async with WsClient(api_server.graphql_url) as client:
        await client.send({"type": "connection_init", "payload": connection_params})
        assert (await client.receive())["type"] == "connection_ack"
        await client.send(subscribe)
        saved = await save(api, package_id, revision, {"config": {**CONFIG, "seed": 1}}, trigger="AUTOSAVE")
        seen = [(await client.events(1))[0]["packageEvents"]]  # the creation's events may come first
        while seen[-1]["__typename"] != "DraftSavedEvent" and len(seen) < 5:
            seen.append((await client.events(1))[0]["packageEvents"])
    assert seen[-1] == {"__typename": "DraftSavedEvent", "revision": saved["revision"], "trigger": "AUTOSAVE"}


async def test_the_pages_connection_parameters_without_a_token_are_refused(api_server: InProcessServer) -> None:
    async with WsClient(api_server.graphql_url) as client:
        await client.send({"type": "connection_init", "payload": {}})  # the Headers tab had no Authorization
        with pytest.raises(Exception, match="4403"):
            await client.receive()
