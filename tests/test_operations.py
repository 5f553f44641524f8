"""Health, metrics, request ids, security headers and the published OpenAPI."""

from __future__ import annotations

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError

from balie.settings import DEFAULT_SECRET_KEY, Settings
from balie.store.database import Database
from balie.store.migrate import include_name
from balie.store.tables import Base
from tests.conftest import Person, new_conversation


async def test_healthz_reports_the_database(anon: httpx.AsyncClient, db: Database) -> None:
    r = await anon.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": db.dialect}


async def test_healthz_says_unavailable_when_the_database_is_unreachable(
    tmp_path: object,
) -> None:
    from balie.app import create_app

    dead = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    app = create_app(Settings(data_dir=tmp_path, log_level="CRITICAL"), dead)  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://balie.test"
    ) as client:
        r = await client.get("/healthz")
    await dead.dispose()
    assert r.status_code == 503 and r.json()["status"] == "unavailable"


async def test_metrics_count_requests_and_open_conversations(
    anon: httpx.AsyncClient, agent: Person
) -> None:
    await agent.client.post("/api/v1/conversations", json=new_conversation())
    body = (await anon.get("/metrics")).text
    assert 'balie_open_conversations{status="open"} 1.0' in body
    assert (
        'balie_http_requests_total{method="POST",route="/api/v1/conversations",status="201"} 1.0'
        in body
    )
    assert "balie_http_request_seconds_bucket" in body


async def test_every_response_has_a_request_id_and_security_headers(
    anon: httpx.AsyncClient,
) -> None:
    mine = await anon.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert mine.headers["x-request-id"] == "abc-123"
    fresh = await anon.get("/api/v1/conversations")
    assert len(fresh.headers["x-request-id"]) == 32
    for r in (mine, fresh):
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"


async def test_openapi_is_published_under_the_api(anon: httpx.AsyncClient) -> None:
    spec = (await anon.get("/api/v1/openapi.json")).json()
    assert spec["info"]["title"] == "Balie"
    assert "/api/v1/conversations" in spec["paths"]
    assert "post" in spec["paths"]["/api/v1/conversations"]


async def test_unknown_routes_answer_with_problem_details(anon: httpx.AsyncClient) -> None:
    r = await anon.get("/api/v1/nope")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ValidationError, match="BALIE_SECRET_KEY"):
        Settings(environment="production", secret_key=DEFAULT_SECRET_KEY)
    with pytest.raises(ValidationError, match="BALIE_SECRET_KEY"):
        Settings(environment="production", secret_key="short")
    ok = Settings(environment="production", secret_key="x" * 40)
    assert ok.environment == "production"


async def test_the_migrated_schema_matches_the_tables(db: Database) -> None:
    def differences(connection: object) -> list[object]:
        context = MigrationContext.configure(
            connection,  # type: ignore[arg-type]
            opts={"include_name": include_name},
        )
        return list(compare_metadata(context, Base.metadata))

    async with db.reader.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == []


def test_the_configuration_document_names_every_setting() -> None:
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "configuration.md").read_text()
    for name in Settings.model_fields:
        assert f"`BALIE_{name.upper()}`" in doc, name


async def test_every_api_route_refuses_anonymous_callers(
    anon: httpx.AsyncClient, db: Database
) -> None:
    import re

    from tests.conftest import snapshot

    spec = (await anon.get("/api/v1/openapi.json")).json()
    operations = [
        (method, re.sub(r"\{\w+\}", "1", path))
        for path, item in spec["paths"].items()
        if path.startswith("/api/v1/")
        for method in item
    ]
    assert len(operations) >= 15
    before = await snapshot(db)
    for method, path in operations:
        r = await anon.request(method, path, json={})
        assert r.status_code == 401, (method, path, r.status_code)
    assert await snapshot(db) == before


async def test_an_unforeseen_error_is_a_problem_document_with_the_request_id(
    settings: Settings, db: Database
) -> None:
    from balie.app import create_app

    app = create_app(settings, db)

    @app.get("/api/v1/boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://balie.test",
    ) as client:
        r = await client.get("/api/v1/boom", headers={"X-Request-ID": "rid-42"})
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["x-request-id"] == "rid-42"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.json()["request_id"] == "rid-42" and "kaboom" not in r.text
