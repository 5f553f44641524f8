"""The goodwill panel and the approvals page, as agents and supervisors use them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from balie.errors import InvalidInput
from balie.store.database import Database
from balie.store.tables import GoodwillAction
from balie.web.goodwill import parse_amount
from balie.zone import LOCAL_ZONE
from tests.conftest import MakeAgent, Person, new_conversation, snapshot
from tests.test_goodwill_api import open_case
from tests.test_web_support import log_in, page_csrf, web_client

API = "/api/v1"


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("80", 8_000),
        ("80,00", 8_000),
        ("80.00", 8_000),
        ("80,5", 8_050),
        (" € 12,34 ", 1_234),
        ("1.250,00", 125_000),
        ("1,250.00", 125_000),
        ("0", 0),
    ],
)
def test_amounts_are_read_as_people_type_them(typed: str, cents: int) -> None:
    assert parse_amount(typed) == cents


@pytest.mark.parametrize("typed", ["", "tachtig", "-5", "80,1234", "1e3", "80,,00"])
def test_unreadable_amounts_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput, match="like 80,00"):
        parse_amount(typed)


async def _expired_case(person: Person, reference: str, email: str, text: str) -> int:
    """A conversation about a washing machine whose warranty ended 31 days ago."""
    ended = dt.datetime.now(LOCAL_ZONE).date() - dt.timedelta(days=31)
    r = await person.client.post(
        f"{API}/orders",
        json={
            "reference": reference,
            "customer_email": email,
            "product_sku": "WM-800",
            "purchase_date": ended.replace(year=ended.year - 2).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    r = await person.client.post(
        f"{API}/conversations",
        json=new_conversation(
            order_id=r.json()["id"],
            customer={"name": email.split("@")[0], "email": email},
            message={"text": text},
        ),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def _product(person: Person) -> None:
    product = {"sku": "WM-800", "name": "Wasmachine 800", "warranty_months": 24}
    assert (await person.client.post(f"{API}/products", json=product)).status_code == 201


def _suggestions(html: str) -> str:
    found = re.search(r'<ul class="plain-list goodwill-suggestions">(.*?)</ul>', html, re.S)
    assert found, html
    return found.group(1)


async def test_agent_asks_supervisor_approves_and_the_customer_is_told(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    agent = await make_agent("agent", language="en", name="Ayla Kaya")
    lead = await make_agent("supervisor", language="en", name="Mila de Boer")
    await _product(agent)
    case = await _expired_case(agent, "B-7", "sanne@example.nl", "Mijn wasmachine lekt weer.")
    async with web_client(app) as browser, web_client(app) as lead_browser:
        await log_in(browser, agent.email)
        await log_in(lead_browser, lead.email)
        panel = await browser.get(f"/conversations/{case}/goodwill")
        assert panel.status_code == 200
        assert "Warranty expired 31 days ago" in panel.text
        assert "Just out of warranty: pay 50% of the repair, as a credit." in panel.text
        assert "€500.00 left of €500.00; at most €50.00 at once" in panel.text

        csrf = await page_csrf(browser, f"/conversations/{case}")
        sent = await browser.post(
            f"/conversations/{case}/goodwill",
            data={"csrf": csrf, "kind": "refund", "amount": "80,00", "reason": "Lekt weer"},
        )
        assert sent.status_code == 303
        panel = await browser.get(f"/conversations/{case}/goodwill")
        assert "Waiting for a supervisor" in panel.text
        assert "Approve" not in panel.text  # an agent does not decide

        # The supervisor sees it on the conversation and on the approvals page.
        assert "Approve" in (await lead_browser.get(f"/conversations/{case}/goodwill")).text
        page = await lead_browser.get("/approvals")
        assert page.status_code == 200
        assert "Lekt weer" in page.text and "Asked by Ayla Kaya" in page.text
        async with db.reading() as session:
            asked = await session.scalar(select(GoodwillAction))
        assert asked is not None and asked.amount_cents == 8_000
        decided = await lead_browser.post(
            f"/goodwill/{asked.id}/decision",
            data={
                "csrf": await page_csrf(lead_browser, "/approvals"),
                "decision": "approve",
                "next": "/approvals",
            },
        )
        assert decided.status_code == 303 and decided.headers["location"] == "/approvals"
        assert "Nothing is waiting for approval." in (await lead_browser.get("/approvals")).text

        panel = await browser.get(f"/conversations/{case}/goodwill")
        assert "Approved" in panel.text and "Decided by Mila de Boer" in panel.text
        told = await browser.post(f"/goodwill/{asked.id}/tell", data={"csrf": csrf})
        assert told.status_code == 303
        page = await browser.get(f"/conversations/{case}")
        assert "Goed nieuws: uw terugbetaling van EUR 80,00 is goedgekeurd." in page.text


async def test_a_bad_amount_shows_why_and_changes_nothing(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    agent = await make_agent("agent", language="en")
    r = await agent.client.post(f"{API}/conversations", json=new_conversation())
    case = r.json()["id"]
    async with web_client(app) as browser:
        await log_in(browser, agent.email)
        panel = await browser.get(f"/conversations/{case}/goodwill")
        assert "No order linked: the warranty is unknown." in panel.text
        csrf = await page_csrf(browser, f"/conversations/{case}")
        before = await snapshot(db)
        sent = await browser.post(
            f"/conversations/{case}/goodwill",
            data={"csrf": csrf, "kind": "refund", "amount": "tachtig", "reason": "Lekt"},
        )
        assert sent.status_code == 422
        assert "Write the amount in euros, like 80,00 or 80.00." in sent.text
        no_csrf = await browser.post(
            f"/conversations/{case}/goodwill",
            data={"kind": "refund", "amount": "10", "reason": "Lekt"},
        )
        assert no_csrf.status_code == 403
        assert await snapshot(db) == before


async def test_the_panel_speaks_dutch_and_agents_have_no_approvals_page(
    app: Any, make_agent: MakeAgent
) -> None:
    agent = await make_agent("agent", language="nl")
    await _product(agent)
    case = await _expired_case(agent, "B-8", "sanne@example.nl", "Mijn wasmachine lekt.")
    async with web_client(app) as browser:
        await log_in(browser, agent.email)
        panel = await browser.get(f"/conversations/{case}/goodwill")
        assert "Garantie 31 dagen geleden verlopen" in panel.text
        assert "Coulance geven" in panel.text
        assert (await browser.get("/approvals")).status_code == 403


async def test_an_abusive_customer_is_offered_the_same_on_the_page(
    app: Any, make_agent: MakeAgent
) -> None:
    # A3 in the inbox: the panel suggests the same for the same case, however it was asked.
    agent = await make_agent("agent", language="en")
    await _product(agent)
    calm = await _expired_case(agent, "B-1", "sanne@example.nl", "Mijn wasmachine lekt.")
    rude = await _expired_case(
        agent, "B-2", "piet@example.nl", "Mijn wasmachine lekt. Jullie zijn idioten!"
    )
    abusive = {
        c: (await agent.client.get(f"{API}/conversations/{c}")).json()["abusive"]
        for c in (calm, rude)
    }
    assert abusive == {calm: False, rude: True}
    async with web_client(app) as browser:
        await log_in(browser, agent.email)
        shown = [
            _suggestions((await browser.get(f"/conversations/{c}/goodwill")).text)
            for c in (calm, rude)
        ]
    assert "50% of the repair" in shown[0]
    assert shown[0] == shown[1]


async def test_a_request_beyond_the_supervisors_mandate_shows_approve_disabled_with_why(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    agent = await make_agent("agent", language="en")
    lead = await make_agent("supervisor", language="en")
    admin = await make_agent("admin", language="en")
    case = await open_case(agent)
    asked = await agent.client.post(
        f"{API}/conversations/{case}/goodwill",
        json={"kind": "refund", "amount_cents": 60_000, "reason": "Kapot"},
    )
    assert asked.status_code == 201 and asked.json()["status"] == "pending_approval"
    why = "Beyond your own mandate (above your 500.00 EUR per refund): an admin must approve this."
    async with web_client(app) as lead_browser, web_client(app) as admin_browser:
        await log_in(lead_browser, lead.email)
        await log_in(admin_browser, admin.email)
        for page in (
            await lead_browser.get("/approvals"),
            await lead_browser.get(f"/conversations/{case}/goodwill"),
        ):
            text = " ".join(page.text.split())
            assert why in text
            assert 'value="approve"' not in text and "disabled" in text
            assert 'value="deny"' in text  # denying is still theirs
        admin_page = " ".join((await admin_browser.get("/approvals")).text.split())
        assert 'value="approve"' in admin_page and why not in admin_page
