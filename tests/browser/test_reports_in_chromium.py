"""The reports page in a real browser: the charts show under the strict CSP (no inline
style or script), the filter form narrows them, and the CSV link downloads a file."""

from __future__ import annotations

import os

import pytest
from playwright.async_api import expect

from tests.browser.conftest import NewPage
from tests.browser.test_inbox_in_chromium import _log_in
from tests.test_reports import World, world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser


async def test_charts_show_and_the_filter_narrows_them(
    world: World,  # noqa: F811
    new_page: NewPage,
) -> None:
    page = await new_page()
    await _log_in(page, world.lead.email)
    await page.locator("nav.topnav a[href='/reports']").click()
    await page.locator("input[name=since]").fill("2026-11-02")
    await page.locator("input[name=until]").fill("2026-11-03")
    await page.locator(".report-filters button[type=submit]").click()

    chart = page.locator("svg#chart-first-response, #first-response svg.chart")
    await expect(chart).to_be_visible()
    if os.environ.get("BALIE_REPORTS_SCREENSHOT"):
        await page.screenshot(path=os.environ["BALIE_REPORTS_SCREENSHOT"], full_page=True)
    box = await chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    # reports.css applied (not blocked): the chart sits beside its table.
    table = page.locator("#first-response table.report-table")
    table_box = await table.bounding_box()
    assert table_box is not None and table_box["x"] > box["x"]
    await expect(chart.locator("rect.bar")).to_have_count(2)
    await expect(page.locator("#handovers")).to_contain_text("1")

    await page.locator("select[name=inbox_id]").select_option(str(world.other_inbox))
    await page.locator(".report-filters button[type=submit]").click()
    await expect(page.locator("select[name=inbox_id]")).to_have_value(str(world.other_inbox))
    await expect(chart.locator("rect.bar")).to_have_count(0)

    async with page.expect_download() as caught:
        await page.locator("#handovers .report-download a").click()
    download = await caught.value
    assert download.suggested_filename == "handovers-2026-11-02-2026-11-03.csv"
