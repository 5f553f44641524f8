"""Macros in the inbox: saving one on the macros page (with the coach's findings), and
inserting or sending one from the slot above the reply box."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from balie.act import utcnow
from balie.store.database import Database
from balie.store.tables import Macro, Message
from tests.conftest import MakeAgent, snapshot
from tests.test_web_support import log_in, open_conversation, page_csrf, web_client


async def test_an_agent_saves_a_macro_and_sees_the_coachs_findings(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="nl")
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        csrf = await page_csrf(browser, "/macros")
        r = await browser.post(
            "/macros",
            data={
                "csrf": csrf,
                "name": "Geen retour",
                "language": "nl",
                "body": "Beste {customer_first_name}, dat is helaas niet mogelijk.",
                "tags": "retour, afgewezen",
                "status": "resolved",
                "goodwill_kind": "credit",
                "goodwill_amount": "7,50",
                "goodwill_reason": "Excuus",
            },
        )
        assert r.status_code == 303, r.text
        html = (await browser.get(r.headers["location"])).text
    # The page is in the agent's Dutch and shows the coach's remark on the saved text.
    assert "“Geen retour” bewerken" in html
    assert "Weigering zonder alternatief" in html
    async with db.reading() as session:
        (macro,) = await session.scalars(select(Macro))
    assert macro.owner_id == person.id
    assert macro.actions == [
        {"type": "tag", "tag": "retour"},
        {"type": "tag", "tag": "afgewezen"},
        {"type": "status", "status": "resolved"},
        {"type": "goodwill", "kind": "credit", "amount_cents": 750, "reason": "Excuus"},
    ]


async def test_a_blocked_macro_comes_back_with_the_text_and_is_not_saved(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        csrf = await page_csrf(browser, "/macros")
        before = await snapshot(db)
        r = await browser.post(
            "/macros",
            data={
                "csrf": csrf,
                "name": "Boos",
                "language": "en",
                "body": "Dear {customer_name}, you are an idiot.",
            },
        )
    assert r.status_code == 422
    assert "Not sent: the reply coach stopped this text" in r.text
    assert "Dear {customer_name}, you are an idiot." in r.text  # what was typed is kept
    assert "Insult" in r.text
    assert await snapshot(db) == before


async def test_insert_fills_the_reply_box_and_send_carries_out_the_actions(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en", name="Karin Smit")
    cid = await open_conversation(db, name="Sanne de Vries")
    api = person.client
    saved = await api.post(
        "/api/v1/macros",
        json={
            "name": "Shipped",
            "language": "nl",
            "body": "Beste {customer_first_name}, uw pakket is onderweg. Groet, {agent_first_name}",
            "actions": [
                {"type": "tag", "tag": "verzonden"},
                {"type": "status", "status": "pending"},
            ],
        },
    )
    macro_id = saved.json()["id"]
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        slot = await browser.get(f"/conversations/{cid}/macros")
        assert slot.status_code == 200
        assert "Shipped" in slot.text and f"/macros/{macro_id}/draft" in slot.text

        inserted = await browser.get(f"/conversations/{cid}/macros/{macro_id}/draft")
        assert 'id="reply-text" hx-swap-oob="true"' in inserted.text
        assert "Beste Sanne, uw pakket is onderweg. Groet, Karin" in inserted.text

        csrf = await page_csrf(browser, f"/conversations/{cid}")
        token = re.search(r'name="client_id" value="([^"]+)"', slot.text)
        assert token is not None, "the send form carries a one-time token"
        form = {"csrf": csrf, "client_id": token.group(1)}
        r = await browser.post(f"/conversations/{cid}/macros/{macro_id}/send", data=form)
        assert r.status_code == 303
        # A double click sends the same form again: the reply goes out once.
        again = await browser.post(f"/conversations/{cid}/macros/{macro_id}/send", data=form)
        assert again.status_code == 303
        page = (await browser.get(f"/conversations/{cid}")).text
    assert page.count("Beste Sanne, uw pakket is onderweg.") == 1
    assert 'data-status="pending"' in page and 'data-tags="verzonden"' in page


async def test_a_macro_needing_missing_data_says_what_is_missing(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    cid = await open_conversation(db)
    saved = await person.client.post(
        "/api/v1/macros",
        json={"name": "Order", "language": "nl", "body": "Uw order {order_reference} is er."},
    )
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        r = await browser.get(f"/conversations/{cid}/macros/{saved.json()['id']}/draft")
        assert "This macro cannot be used here" in r.text and "{order_reference}" in r.text
        assert "reply-text" not in r.text
        csrf = await page_csrf(browser, f"/conversations/{cid}")
        before = await snapshot(db)
        r = await browser.post(
            f"/conversations/{cid}/macros/{saved.json()['id']}/send", data={"csrf": csrf}
        )
    assert r.status_code == 422 and "{order_reference}" in r.text
    assert await snapshot(db) == before
    async with db.reading() as session:
        assert len(list(await session.scalars(select(Message)))) == 1


async def test_the_macro_form_reads_amounts_as_the_goodwill_form_does(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("supervisor", language="nl")
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        csrf = await page_csrf(browser, "/macros")
        r = await browser.post(
            "/macros",
            data={
                "csrf": csrf,
                "name": "Nieuwe machine",
                "language": "nl",
                "body": "Beste {customer_first_name}, u krijgt een nieuwe machine.",
                "goodwill_kind": "replacement",
                "goodwill_amount": "€ 1.250,00",  # thousands grouped, as on the goodwill form
                "goodwill_reason": "Kapot geleverd",
            },
        )
        assert r.status_code == 303, r.text
    async with db.reading() as session:
        (macro,) = await session.scalars(select(Macro))
    assert macro.actions[0]["amount_cents"] == 125_000


async def test_a_saved_macro_the_coach_now_blocks_opens_for_rewriting(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    # Saved before the coach knew these words: the row is there as it was.
    async with db.writing() as session:
        now = utcnow()
        old = Macro(
            owner_id=person.id,
            name="Oud",
            language="en",
            body="Dear {customer_name}, you are an idiot.",
            actions=[],
            created_by=person.id,
            created_at=now,
            updated_at=now,
        )
        session.add(old)
        await session.flush()
        macro_id = old.id
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        page = await browser.get(f"/macros/{macro_id}")
    assert page.status_code == 200
    assert "Dear {customer_name}, you are an idiot." in page.text  # in the form to rewrite
    assert "Not sent: the reply coach stopped this text" in page.text
    assert "Insult" in page.text
