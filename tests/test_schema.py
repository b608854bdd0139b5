"""`schema.graphql` is generated from the code; this fails when they drift apart."""

from __future__ import annotations

from pathlib import Path

from api.schema import build_schema
from trainpack.settings import Settings

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_schema_file_matches_the_code() -> None:
    generated = build_schema(Settings()).as_str() + "\n"
    assert SCHEMA_FILE.read_text() == generated, "schema.graphql is stale: run `trainpack export-schema`"
