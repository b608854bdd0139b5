"""A real GraphQL client (gql over HTTPX) authenticated with a bearer token."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXAsyncTransport


class Api:
    """Sends GraphQL documents to the service like any client would."""

    def __init__(self, url: str, token: str | None, *, database_url: str | None = None) -> None:
        self.url = url
        self.token = token
        self.database_url = database_url  # where a test without workers records their results
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = Client(
            transport=HTTPXAsyncTransport(url=url, headers=headers, timeout=60), fetch_schema_from_transport=False
        )
        self._session: Any = None

    async def __aenter__(self) -> Api:
        self._session = await self._client.connect_async()  # type: ignore[no-untyped-call]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._client.close_async()  # type: ignore[no-untyped-call]

    async def execute(self, document: str, **variables: Any) -> dict[str, Any]:
        """Run a document; raise on top-level errors (use ``raw`` to inspect those)."""
        request = GraphQLRequest(document, variable_values=variables or None)
        result: dict[str, Any] = await self._session.execute(request)
        return result

    async def raw(
        self, document: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """POST a document and return the HTTP response as is (for error and limit tests)."""
        default = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with httpx.AsyncClient(timeout=60) as client:
            return await client.post(
                self.url, json={"query": document, "variables": variables or {}}, headers={**default, **(headers or {})}
            )
