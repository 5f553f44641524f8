"""The inbox list, the customer profile and search, in Dutch and English."""

from __future__ import annotations

from typing import Any

from balie.act import CLI, Act, utcnow
from balie.customers.actions import customer_for_email, update_customer
from balie.store.database import Database
from tests.conftest import MakeAgent
from tests.test_web_support import log_in, open_conversation, page_csrf, web_client


async def test_inbox_lists_newest_first_with_counts_and_paging(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    for n in range(27):
        await open_conversation(db, subject=f"Vraag nummer {n:02d}", email=f"k{n}@example.nl")
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        first = (await browser.get("/")).text
        assert first.index("Vraag nummer 26") < first.index("Vraag nummer 02")
        assert "Vraag nummer 01" not in first
        assert '<span class="count">27</span>' in first
        older = first.split('class="paging">')[1].split('href="')[1].split('"')[0]
        second = (await browser.get(older.replace("&amp;", "&"))).text
        assert "Vraag nummer 01" in second and "Vraag nummer 00" in second
        assert "Vraag nummer 26" not in second


async def test_filters_and_htmx_partial(app: Any, db: Database, make_agent: MakeAgent) -> None:
    person = await make_agent("agent", language="en")
    await open_conversation(db, subject="Chat over bezorging", channel="chat")
    await open_conversation(db, subject="Mail over factuur", channel="email", email="b@example.nl")
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        chat = (await browser.get("/?channel=chat&owner=none")).text
        assert "Chat over bezorging" in chat and "Mail over factuur" not in chat
        partial = await browser.get("/?channel=email", headers={"HX-Request": "true"})
        assert partial.text.lstrip().startswith('<div id="inbox"')
        assert "Mail over factuur" in partial.text and "<html" not in partial.text
        assert (await browser.get("/?status=bogus")).status_code == 422
        nothing = (await browser.get("/?owner=me")).text
        assert "No conversations match these filters." in nothing


async def test_dutch_is_the_default_and_english_is_a_click_away(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent")  # language defaults to nl
    cid = await open_conversation(db)
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        dutch = (await browser.get(f"/conversations/{cid}")).text
        assert '<html lang="nl">' in dutch
        assert "Antwoord versturen" in dutch and "Interne notitie" in dutch
        csrf = await page_csrf(browser)
        r = await browser.post(
            "/language", data={"csrf": csrf, "language": "en", "next": f"/conversations/{cid}"}
        )
        assert r.status_code == 303 and r.headers["location"] == f"/conversations/{cid}"
        english = (await browser.get(f"/conversations/{cid}")).text
        assert '<html lang="en">' in english and "Send reply" in english
        r = await browser.post(
            "/language", data={"csrf": csrf, "language": "en", "next": "https://evil.example/"}
        )
        assert r.headers["location"] == "/"


async def test_customer_profile_shows_every_conversation(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    first = await open_conversation(db, subject="Chat: wasmachine lekt", channel="chat")
    await open_conversation(db, subject="Mail: monteur komt niet", channel="email")
    await open_conversation(db, subject="Iemand anders", email="ander@example.nl")
    async with db.writing() as session:
        act = Act(session, CLI, utcnow())
        customer = await customer_for_email(act, email="sanne@example.nl", name=None)
        await update_customer(act, customer, notes="Belt liever dan dat ze mailt.")
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        conversation = (await browser.get(f"/conversations/{first}")).text
        assert f'href="/customers/{customer.id}"' in conversation
        profile = (await browser.get(f"/customers/{customer.id}")).text
        assert "Sanne de Vries" in profile and "sanne@example.nl" in profile
        assert "Belt liever dan dat ze mailt." in profile
        assert profile.index("Mail: monteur komt niet") < profile.index("Chat: wasmachine lekt")
        assert "Iemand anders" not in profile
        assert (await browser.get("/customers/999999")).status_code == 404


async def test_search_finds_messages_and_customers(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    cid = await open_conversation(db, text="De trommel maakt een piepend geluid")
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        found = (await browser.get("/search", params={"q": "trommel"})).text
        assert f'href="/conversations/{cid}#m1"' in found
        assert "<mark>trommel</mark>" in found.lower()
        customers = (await browser.get("/search", params={"q": "Sanne"})).text
        assert "/customers/" in customers and "<mark>" in customers
        nothing = await browser.get("/search", params={"q": "zeppelin"})
        assert "Nothing found." in nothing.text
        empty = await browser.get("/search", params={"q": ""})
        assert empty.status_code == 200
        assert "Type a word to search messages and customers." in empty.text
        too_long = await browser.get("/search", params={"q": "x" * 300})
        assert too_long.status_code == 422 and "limited to" in too_long.text
