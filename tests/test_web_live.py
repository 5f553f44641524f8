"""The live inbox's server side in the pages: the cursor live.js starts from, the
presence control in the header, and live.js itself."""

from __future__ import annotations

import re
from typing import Any

from balie.store.database import Database
from tests.conftest import MakeAgent
from tests.test_web_support import log_in, open_conversation, page_csrf, web_client

_CURSOR = re.compile(r'data-live-cursor="(\d+)"')


def _cursor(html: str) -> int:
    found = _CURSOR.search(html)
    assert found, "the page has no live cursor"
    return int(found.group(1))


def _selected_status(html: str) -> str:
    control = html.split('id="presence-status"')[1].split("</select>")[0]
    found = re.search(r'<option value="(\w+)" selected>', control)
    assert found, control
    return found.group(1)


def _capacity(html: str) -> int:
    found = re.search(r'id="presence-capacity"[^>]* value="(\d+)"', html)
    assert found
    return int(found.group(1))


async def test_inbox_and_conversation_pages_carry_the_live_cursor(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    cid = await open_conversation(db)
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        inbox = (await browser.get("/")).text
        state = (await browser.get("/api/v1/live/state")).json()  # with the session cookie
        assert _cursor(inbox) == state["cursor"] > 0
        assert '<script src="/static/live.js" defer></script>' in inbox
        assert 'id="live"' in inbox and 'role="status"' in inbox
        assert 'data-text-reconnecting="Reconnecting…"' in inbox

        page = (await browser.get(f"/conversations/{cid}")).text
        assert _cursor(page) == state["cursor"]
        assert f'data-conversation-id="{cid}"' in page and 'data-status="open"' in page
        assert "Sanne de Vries is typing…" in page
        # No polling left: the timeline asks for what follows when live.js says so.
        assert 'hx-trigger="every' not in page and 'hx-trigger="live-refresh"' in page
        assert f'hx-get="/conversations/{cid}/timeline?after=1"' in page

        # A change moves the cursor a freshly rendered page starts from.
        csrf = await page_csrf(browser, f"/conversations/{cid}")
        posted = await browser.post(
            f"/conversations/{cid}/tags", data={"csrf": csrf, "tags": "retour"}
        )
        assert posted.status_code == 303
        later = (await browser.get(f"/conversations/{cid}")).text
        assert _cursor(later) > _cursor(page)
        assert 'data-tags="retour"' in later
        # The timeline fragment live.js loads ends with the next marker.
        fragment = (await browser.get(f"/conversations/{cid}/timeline?after=0")).text
        assert 'data-after="1"' in fragment and "<html" not in fragment

        # Pages without a live view have the presence control but no socket.
        search = (await browser.get("/search?q=wasmachine")).text
        assert 'id="presence"' in search and "data-live-cursor" not in search


async def test_the_presence_control_shows_and_sets_the_agents_status(
    app: Any, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="nl")
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        first = (await browser.get("/")).text
        assert _selected_status(first) == "offline" and _capacity(first) == 3
        assert "Afwezig" in first and "Je chatstatus" in first
        csrf = await page_csrf(browser)

        # What live.js does: PUT with the session cookie and the CSRF header.
        refused = await browser.put("/api/v1/presence", json={"status": "online"})
        assert refused.status_code == 403
        answer = await browser.put(
            "/api/v1/presence",
            json={"status": "online", "capacity": 5},
            headers={"X-CSRF-Token": csrf},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"agent_id": person.id, "status": "online", "capacity": 5}
        shown = (await browser.get("/")).text
        assert _selected_status(shown) == "online" and _capacity(shown) == 5
        assert 'class="presence presence-online"' in shown

        # The same form without script: a post, then back where the agent was.
        posted = await browser.post(
            "/presence", data={"csrf": csrf, "status": "away", "capacity": "2", "next": "/?x=1"}
        )
        assert posted.status_code == 303 and posted.headers["location"] == "/?x=1"
        listed = (await person.client.get("/api/v1/presence")).json()
        mine = [p for p in listed if p["agent_id"] == person.id]
        assert mine and mine[0]["status"] == "away" and mine[0]["capacity"] == 2

        bad = await browser.post("/presence", data={"csrf": csrf, "status": "asleep"})
        assert bad.status_code == 422 and "online" in bad.text
        bad = await browser.post(
            "/presence", data={"csrf": csrf, "status": "online", "capacity": "veel"}
        )
        assert bad.status_code == 422
        forged = await browser.post("/presence", data={"csrf": "nope", "status": "online"})
        assert forged.status_code == 403
        after = (await browser.get("/")).text
        assert _selected_status(after) == "away" and _capacity(after) == 2


async def test_live_js_is_served_and_pages_need_a_log_in(anon: Any) -> None:
    script = await anon.get("/static/live.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "/api/v1/live" in script.text and "/api/v1/presence" in script.text
    login = (await anon.get("/login")).text
    assert 'id="presence"' not in login and "data-live-cursor" not in login
    assert (await anon.post("/presence", data={"status": "online"})).status_code == 403
