"""A real uvicorn server on the test database and one headless Chromium for the session.

The server runs in a thread with its own event loop and its own connection pool, like a
separate process would; tests arrange data through the actions on the ``db`` fixture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.live_support import serving_on

CHROMIUM = "/usr/bin/chromium"
NewPage = Callable[[], Awaitable[Page]]


@pytest.fixture(scope="session")
def live_server(
    database_url: str, migrated_db: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    # It lives for the whole session on the tests' database: its own timer loop and IMAP
    # polling would take work from tests that fire timers or poll mailboxes themselves.
    with serving_on(
        database_url,
        tmp_path_factory.mktemp("live"),
        login_attempts=20,
        background_in_server=False,
    ) as url:
        yield url


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield chromium
        await chromium.close()


@pytest.fixture
async def new_page(browser: Browser, live_server: str) -> AsyncIterator[NewPage]:
    """Each call is a page in a fresh browser profile (its own cookies), as on a second
    agent's computer. Any page error or Content-Security-Policy violation fails the test."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    async def make() -> Page:
        context = await browser.new_context(base_url=live_server, locale="en-GB")
        context.set_default_timeout(5000)
        contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                problems.append(f"console: {message.text}") if message.type == "error" else None
            ),
        )
        return page

    yield make
    for context in contexts:
        await context.close()
    assert problems == []
