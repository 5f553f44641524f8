"""The reports page as a supervisor sees it: filters, charts with their tables, CSV links,
in Dutch and English; agents are turned away."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from balie.store.database import Database
from tests.conftest import PASSWORD, snapshot
from tests.test_reports import PERIOD, World, world  # noqa: F401 (the fixture)
from tests.test_web_support import log_in, page_csrf, web_client

SVG = "{http://www.w3.org/2000/svg}"


@asynccontextmanager
async def _signed_in(app: Any, email: str, language: str) -> AsyncIterator[httpx.AsyncClient]:
    async with web_client(app) as client:
        response = await log_in(client, email, PASSWORD)
        assert response.status_code == 303
        switched = await client.post(
            "/language",
            data={"csrf": await page_csrf(client), "language": language, "next": "/"},
        )
        assert switched.status_code == 303
        yield client


async def test_supervisor_sees_charts_tables_and_downloads(app: Any, world: World) -> None:  # noqa: F811
    async with _signed_in(app, world.lead.email, "en") as client:
        home = await client.get("/")
        assert home.text.count('<a href="/reports">Reports</a>') == 1
        page = await client.get("/reports", params={**PERIOD, "inbox_id": str(world.inbox)})
    assert page.status_code == 200
    html = page.text
    assert '<link rel="stylesheet" href="/static/reports.css">' in html
    charts = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(charts) >= 10
    for svg in charts:
        root = ET.fromstring(svg)
        assert root.get("role") == "img" and root.findtext(f"{SVG}title")
    first = ET.fromstring(next(c for c in charts if 'id="chart-first-response-title"' in c))
    assert [b.findtext(f"{SVG}title") for b in first.iter(f"{SVG}rect")] == [
        "2 Nov: 10",
        "3 Nov: 20",
    ]
    # The same numbers in the table beside the chart.
    assert re.search(r"<th scope=\"row\">2 Nov</th><td>1</td><td>10</td><td>10</td>", html)
    assert "Median 15 min, 90th percentile 20 min" in html
    assert (
        "/api/v1/reports/handovers.csv?since=2026-11-02&amp;until=2026-11-03&amp;inbox_id=" in html
    )
    assert f'<option value="{world.inbox}" selected>Web</option>' in html
    # Anna went over her monthly refund mandate over the whole of November; the refund
    # the lead approved for her is shown apart and counts on the lead's mandate.
    assert "€45.00 of €40.00 used <strong>over the mandate</strong>" in html
    assert "of which €20.00 approved by a supervisor" in html
    assert "of which €20.00 approved for others" in html
    assert html.count("over the mandate") == 1
    assert "Een duidelijkere handleiding." in html


async def test_dutch_page(app: Any, world: World) -> None:  # noqa: F811
    async with _signed_in(app, world.lead.email, "nl") as client:
        page = await client.get("/reports", params=PERIOD)
    assert page.status_code == 200
    for text in ("Rapportages", "Tijd tot eerste antwoord", "CSV downloaden", "Mediaan 15 min"):
        assert text in page.text
    assert "boven het mandaat" in page.text


async def test_bad_filter_shows_the_form_again_with_the_reason(
    app: Any,
    db: Database,
    world: World,  # noqa: F811
) -> None:
    async with _signed_in(app, world.lead.email, "en") as client:
        before = await snapshot(db)
        page = await client.get("/reports", params={"since": "2026-11-10", "until": "2026-11-01"})
    assert page.status_code == 422
    assert "until is before since." in page.text
    assert 'name="since" value="2026-11-10"' in page.text
    assert "<svg" not in page.text
    assert await snapshot(db) == before


async def test_a_far_away_day_shows_the_form_again_with_the_reason(
    app: Any,
    db: Database,
    world: World,  # noqa: F811
) -> None:
    async with _signed_in(app, world.lead.email, "en") as client:
        for since in ("0001-01-01", "9999-12-31"):
            page = await client.get("/reports", params={"since": since, "until": since})
            assert page.status_code == 422, since
            assert "since must lie between the years 2000 and" in page.text


async def test_agents_get_no_reports_page_nor_link(app: Any, world: World) -> None:  # noqa: F811
    async with _signed_in(app, world.anna.email, "en") as client:
        home = await client.get("/")
        page = await client.get("/reports")
    assert 'href="/reports"' not in home.text
    assert page.status_code == 403
    assert "<svg" not in page.text
