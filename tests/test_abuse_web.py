"""The safety panel on the conversation page: warnings and what may follow, in English and
Dutch, with the buttons doing what they say."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import select

from balie.act import SYSTEM, Act, utcnow
from balie.conversations.actions import add_message, get_visible
from balie.store.database import Database
from balie.store.tables import AuditEvent, Customer
from tests.conftest import MakeAgent, snapshot
from tests.test_web_support import log_in, open_conversation, page_csrf, web_client

ABUSE = "Jullie zijn een stelletje oplichters, kankerlijers!!"


async def _post(browser: httpx.AsyncClient, cid: int, step: str, **form: Any) -> httpx.Response:
    csrf = await page_csrf(browser, f"/conversations/{cid}")
    return await browser.post(f"/conversations/{cid}/safety/{step}", data={"csrf": csrf, **form})


class Panel:
    """The panel's fragment, its text with whitespace made single as a reader sees it."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.text = " ".join(response.text.split()).replace(" ;", ";")


async def _panel(browser: httpx.AsyncClient, cid: int) -> Panel:
    return Panel(await browser.get(f"/conversations/{cid}/safety"))


def _client_id(panel: httpx.Response) -> str:
    found = re.search(r'name="client_id" value="([^"]+)"', panel.text)
    assert found is not None, "the boundary form carries a one-time token"
    return found.group(1)


async def _customer_writes(db: Database, conversation_id: int) -> None:
    async with db.writing() as session:
        act = Act(session, SYSTEM, utcnow())
        conversation = await get_visible(act, conversation_id)
        await add_message(act, conversation, text="Nou en?", internal=False, author_kind="customer")


async def _actions(db: Database) -> list[str]:
    async with db.reading() as session:
        return list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


async def test_the_panel_counts_warnings_and_offers_the_next_step(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    cid = await open_conversation(db, text=ABUSE)
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        panel = await _panel(browser, cid)
        assert panel.status_code == 200
        assert "0 of 2 warnings; after 2 more you may end the chat." in panel.text
        assert "Send boundary message" in panel.text and "End chat" not in panel.text

        # A double click sends the panel's form twice: one warning.
        token = _client_id(await browser.get(f"/conversations/{cid}/safety"))
        sent = await _post(browser, cid, "boundary", client_id=token)
        assert sent.status_code == 303 and sent.headers["location"] == f"/conversations/{cid}"
        again = await _post(browser, cid, "boundary", client_id=token)
        assert again.status_code == 303
        panel = await _panel(browser, cid)
        assert "1 of 2 warnings; after the next you may end the chat." in panel.text
        assert "Block customer" not in panel.text  # an agent blocks only after the limit
        # No second warning before the customer could react to the first.
        assert "Wait for the customer's answer to the last warning." in panel.text
        assert "safety/boundary" not in panel.text

        await _customer_writes(db, cid)
        await _post(
            browser,
            cid,
            "boundary",
            client_id=_client_id(await browser.get(f"/conversations/{cid}/safety")),
        )
        panel = await _panel(browser, cid)
        assert "2 of 2 warnings; you may end the chat." in panel.text
        assert "End chat" in panel.text and "Block customer" in panel.text

        blocked = await _post(browser, cid, "block", days="7", reason="Bleef schelden")
        assert blocked.status_code == 303
        panel = await _panel(browser, cid)
        assert "Blocked until" in panel.text and "Bleef schelden" in panel.text
        assert "Lift the block" not in panel.text  # that is a supervisor's

        ended = await _post(browser, cid, "end", reason="Bleef schelden")
        assert ended.status_code == 303
        page = await browser.get(f"/conversations/{cid}")
        assert "Omdat het gesprek niet respectvol bleef" in page.text
    assert [
        a for a in await _actions(db) if a.startswith(("abuse.", "customer.block", "alert."))
    ] == [
        "abuse.warning",
        "abuse.warning",
        "customer.block",
        "customer.block",
        "alert.customer_blocked",
        "abuse.end_chat",
        "alert.abuse_end",
    ]


async def test_a_refused_step_shows_why_and_changes_nothing(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    cid = await open_conversation(db, text=ABUSE)
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        csrf = await page_csrf(browser, f"/conversations/{cid}")
        before = await snapshot(db)
        early = await browser.post(
            f"/conversations/{cid}/safety/end", data={"csrf": csrf, "reason": "Genoeg"}
        )
        assert early.status_code == 409 and "send 2 more" in early.text
        bad = await browser.post(
            f"/conversations/{cid}/safety/block", data={"csrf": csrf, "days": "x", "reason": "r"}
        )
        assert bad.status_code == 422
        no_csrf = await browser.post(f"/conversations/{cid}/safety/boundary")
        assert no_csrf.status_code == 403
        assert await snapshot(db) == before


async def test_a_dutch_supervisor_is_asked_joins_and_lifts_a_block(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    lead = await make_agent("supervisor", name="Sofie", language="nl")
    cid = await open_conversation(db, text=ABUSE)
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        asked = await _post(browser, cid, "ask", note="Hij dreigt")
        assert asked.status_code == 303
        panel = await _panel(browser, cid)
        assert "A supervisor has been asked to join." in panel.text
    async with web_client(app) as browser:
        await log_in(browser, lead.email)
        panel = await _panel(browser, cid)
        assert "0 van 2 waarschuwingen" in panel.text and "Meedoen" in panel.text
        await _post(browser, cid, "join")
        panel = await _panel(browser, cid)
        assert "Supervisors in dit gesprek: Sofie" in panel.text
        assert "Meedoen" not in panel.text
        await _post(browser, cid, "block", days="30", reason="Bedreiging")
        panel = await _panel(browser, cid)
        assert "Geblokkeerd tot" in panel.text and "Blokkade opheffen" in panel.text
        await _post(browser, cid, "unblock")
    async with db.reading() as session:
        customers = list(await session.scalars(select(Customer)))
    assert [c.blocked_until for c in customers] == [None]
    assert "conversation.supervisor_joined" in await _actions(db)
