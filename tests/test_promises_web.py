"""The follow-ups page: an agent sees their open promises, due soonest first, and marks
one kept with one click; in Dutch or English."""

from __future__ import annotations

from typing import Any

from balie.store.database import Database
from tests.conftest import MakeAgent, Person, new_conversation
from tests.test_web_support import csrf_of, log_in, web_client


async def promise_in_reply(owner: Person, lead: Person, text: str, subject: str) -> int:
    created = await lead.client.post(
        "/api/v1/conversations", json=new_conversation(subject=subject)
    )
    conversation_id: int = created.json()["id"]
    await lead.client.patch(f"/api/v1/conversations/{conversation_id}", json={"owner_id": owner.id})
    sent = await owner.client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"text": text}
    )
    assert sent.status_code == 201, sent.text
    return conversation_id


async def test_an_agent_marks_a_promise_kept_on_the_follow_ups_page(
    app: Any, make_agent: MakeAgent, db: Database
) -> None:
    agent = await make_agent("agent", language="en")
    lead = await make_agent("supervisor")
    later = await promise_in_reply(
        agent, lead, "U ontvangt binnen 3 dagen een nieuwe pomp.", "Pomp kapot"
    )
    sooner = await promise_in_reply(
        agent, lead, "Ik bel u binnen 2 uur terug.", "Terugbellen graag"
    )

    async with web_client(app) as browser:
        await log_in(browser, agent.email)
        page = await browser.get("/followups")
        assert page.status_code == 200
        html = page.text
        assert "Mark kept" in html
        # Due soonest first, each with its customer and conversation.
        assert html.index("Ik bel u binnen 2 uur terug.") < html.index("een nieuwe pomp")
        assert (
            f'href="/conversations/{sooner}"' in html and f'href="/conversations/{later}"' in html
        )
        assert "To Sanne de Vries in" in html

        promise_id = (await agent.client.get("/api/v1/promises")).json()[0]["id"]
        done = await browser.post(
            f"/followups/{promise_id}/kept", data={"csrf": csrf_of(html), "who": "mine"}
        )
        assert done.status_code == 303
        after = await browser.get(done.headers["location"])

    assert "Ik bel u binnen 2 uur terug." not in after.text
    assert "een nieuwe pomp" in after.text
    shown = await agent.client.get(f"/api/v1/promises/{promise_id}")
    assert shown.json()["status"] == "kept"


async def test_a_refused_change_shows_the_list_with_the_reason(
    app: Any, make_agent: MakeAgent, db: Database
) -> None:
    agent = await make_agent("agent", language="en")
    lead = await make_agent("supervisor")
    await promise_in_reply(agent, lead, "Ik bel u binnen 2 uur terug.", "Terugbellen graag")
    promise_id = (await agent.client.get("/api/v1/promises")).json()[0]["id"]

    async with web_client(app) as browser:
        await log_in(browser, agent.email)
        csrf = csrf_of((await browser.get("/followups")).text)
        blank = await browser.post(
            f"/followups/{promise_id}/cancel", data={"csrf": csrf, "reason": " "}
        )
        forged = await browser.post(f"/followups/{promise_id}/kept", data={"csrf": "wrong"})

    assert blank.status_code == 422
    assert "needs a reason" in blank.text
    assert "Ik bel u binnen 2 uur terug." in blank.text  # the list is still there
    assert forged.status_code == 403
    shown = await agent.client.get(f"/api/v1/promises/{promise_id}")
    assert shown.json()["status"] == "open"


async def test_the_page_speaks_dutch_and_a_supervisor_can_see_everyones(
    app: Any, make_agent: MakeAgent, db: Database
) -> None:
    agent = await make_agent("agent")
    lead = await make_agent("supervisor", language="nl")
    await promise_in_reply(agent, lead, "Ik bel u binnen 2 uur terug.", "Terugbellen graag")

    async with web_client(app) as browser:
        await log_in(browser, lead.email)
        own = await browser.get("/followups")
        everyone = await browser.get("/followups?who=all")

    assert "Geen open beloftes" in own.text
    assert "Ik bel u binnen 2 uur terug." in everyone.text
    assert "Nagekomen" in everyone.text and "Belofte intrekken" in everyone.text
