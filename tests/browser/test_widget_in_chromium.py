"""The chat widget on a stranger's website, in a real browser.

The shop page is served from another origin (a little ``http.server`` on its own port) and
embeds ``widget.js`` from the live Balie server, as a customer's web shop would. The agent
side is the real API and the live socket, with an API token.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
import secrets
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect
from websockets.asyncio.client import ClientConnection, connect

from balie.store.database import Database
from tests.conftest import MakeAgent, Person

pytestmark = pytest.mark.browser

HOSTILE_CSS = """
* { font-size: 40px !important; color: red !important; line-height: 3 !important;
    font-family: "Comic Sans MS", cursive !important; letter-spacing: 6px !important; }
div, span, p, section, header, form, ol, ul, li, button, input, textarea, select, svg {
    display: block !important; margin: 20px !important; padding: 20px !important;
    border: 5px dashed hotpink !important; width: 90% !important; height: 120px !important;
    box-sizing: content-box !important; background: yellow !important; }
[hidden] { display: block !important; }
body > * { position: static !important; }
"""

XSS_PAYLOADS = [
    '<img src=x onerror="window.__xss=1;alert(1)">',
    "<script>window.__xss=1;alert(2)</script>",
    '<a href="javascript:window.__xss=1;alert(3)">klik hier</a>',
    '<svg onload="window.__xss=1;alert(4)"></svg>',
    '"><iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    "<body onload=window.__xss=1>",
    "<details open ontoggle=window.__xss=1>",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
    "javascript:window.__xss=1//",
    "{{constructor.constructor('window.__xss=1')()}}",
    "<input autofocus onfocus=window.__xss=1>",
    "';window.__xss=1;//\"></textarea><img src=x onerror=window.__xss=1>",
    "<style>*{display:none!important}</style><marquee onstart=window.__xss=1>",
]


# ---------------------------------------------------------------- the shop on another origin


class _Shop(BaseHTTPRequestHandler):
    balie = ""

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path != "/shop":
            self.send_response(204)
            self.end_headers()
            return
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        lang = html.escape(query.get("lang", "en"))
        style = f"<style>{HOSTILE_CSS}</style>" if query.get("hostile") else ""
        attrs = f'data-inbox="{html.escape(query["key"])}"'
        if query.get("widget_lang"):
            attrs += f' data-lang="{html.escape(query["widget_lang"])}"'
        page = f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>Fietsenwinkel De Spaak</title>{style}</head>
<body><h1>Fietsenwinkel De Spaak</h1>
<p>Page {html.escape(query.get("page", "1"))}. <a href="#top">Aanbiedingen</a></p>
<script src="{self.balie}/widget.js" {attrs} async></script>
</body></html>"""
        body = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def shop_url(live_server: str) -> Iterator[str]:
    handler = type("Shop", (_Shop,), {"balie": live_server})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="shop", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    assert urlparse(url).netloc != urlparse(live_server).netloc  # another origin
    yield url
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


# ---------------------------------------------------------------- the visitor's browser


@dataclass
class Visitor:
    page: Page
    context: BrowserContext
    problems: list[str]

    def widget(self, selector: str) -> Any:
        return self.page.locator(f"balie-chat {selector}")

    async def messages(self) -> list[tuple[str, str]]:
        """(author, text) of every chat message the widget shows, top to bottom."""
        return [
            (row.split("|", 1)[0], row.split("|", 1)[1])
            for row in await self.page.evaluate(
                """() => [...document.querySelector('balie-chat').shadowRoot
                      .querySelectorAll('.messages .msg')]
                    .map(m => m.className.match(/from-(\\w+)/)[1] + '|'
                              + m.querySelector('.text').textContent)"""
            )
        ]


OpenShop = Callable[..., Awaitable[Visitor]]


@pytest.fixture
async def open_shop(browser: Browser, shop_url: str) -> AsyncIterator[OpenShop]:
    """Each call is a visitor in a fresh browser profile on the shop. Page errors, console
    errors and dialogs fail the test, except console lines matching ``allow``."""
    made: list[Visitor] = []

    async def make(
        key: str, *, lang: str = "en", hostile: bool = False, allow: str | None = None, **q: str
    ) -> Visitor:
        context = await browser.new_context(locale="en-GB", timezone_id="Europe/Amsterdam")
        context.set_default_timeout(6000)
        page = await context.new_page()
        visitor = Visitor(page, context, [])
        made.append(visitor)

        def on_console(message: Any) -> None:
            if message.type == "error" and not (allow and re.search(allow, message.text)):
                visitor.problems.append(f"console: {message.text}")

        async def on_dialog(dialog: Any) -> None:
            visitor.problems.append(f"dialog: {dialog.message}")
            await dialog.dismiss()

        page.on("console", on_console)
        page.on("pageerror", lambda error: visitor.problems.append(f"page error: {error}"))
        page.on("dialog", on_dialog)
        query = "&".join(f"{k}={v}" for k, v in {"key": key, "lang": lang, **q}.items())
        await page.goto(f"{shop_url}/shop?{query}{'&hostile=1' if hostile else ''}")
        await expect(visitor.widget(".launcher")).to_be_visible()
        return visitor

    yield make
    for visitor in made:
        await visitor.context.close()
    assert [p for v in made for p in v.problems] == []


# ---------------------------------------------------------------- the agent side


@dataclass
class Desk:
    """The inbox and an agent, Sanne, with API clients on the live server."""

    live_server: str
    admin: httpx.AsyncClient
    sanne: httpx.AsyncClient
    sanne_token: str
    sanne_email: str
    inbox_id: int
    key: str

    async def configure(self, **changes: Any) -> None:
        answer = await self.admin.patch(f"/api/v1/inboxes/{self.inbox_id}", json=changes)
        assert answer.status_code == 200, answer.text

    async def chat_conversations(self, **filters: str) -> list[dict[str, Any]]:
        answer = await self.sanne.get(
            "/api/v1/conversations", params={"channel": "chat", "limit": 50, **filters}
        )
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])

    async def only_conversation(self) -> dict[str, Any]:
        for _ in range(50):
            found = await self.chat_conversations()
            if found:
                assert len(found) == 1, found
                return found[0]
            await asyncio.sleep(0.1)
        raise AssertionError("no chat conversation appeared")

    async def messages(self, conversation_id: int) -> list[dict[str, Any]]:
        answer = await self.sanne.get(f"/api/v1/conversations/{conversation_id}/messages")
        assert answer.status_code == 200, answer.text
        return list(answer.json())

    async def reply(self, conversation_id: int, text: str) -> dict[str, Any]:
        answer = await self.sanne.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"text": text, "client_id": secrets.token_hex(8)},
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())


@pytest.fixture
async def desk(db: Database, make_agent: MakeAgent, live_server: str) -> AsyncIterator[Desk]:
    admin: Person = await make_agent("admin", team="Webwinkel", name="Anouk Admin")
    sanne: Person = await make_agent("agent", team="Webwinkel", name="Sanne de Vries")
    clients = [
        httpx.AsyncClient(
            base_url=live_server,
            headers={"Authorization": p.client.headers["Authorization"]},
            timeout=10,
        )
        for p in (admin, sanne)
    ]
    answer = await clients[0].post(
        "/api/v1/inboxes", json={"team_id": admin.team_id, "name": "De Spaak", "channel": "chat"}
    )
    assert answer.status_code == 201, answer.text
    inbox = answer.json()
    token = sanne.client.headers["Authorization"].removeprefix("Bearer ")
    yield Desk(live_server, clients[0], clients[1], token, sanne.email, inbox["id"], inbox["key"])
    for client in clients:
        await client.aclose()


@dataclass
class AgentSocket:
    """Sanne's live socket: collects every frame, answers pings."""

    ws: ClientConnection
    frames: list[dict[str, Any]] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None
    news: asyncio.Event = field(default_factory=asyncio.Event)

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                frame = json.loads(raw)
                self.frames.append(frame)
                self.news.set()
                if frame.get("type") == "ping":
                    await self.ws.send(json.dumps({"type": "pong"}))

    async def send(self, **frame: Any) -> None:
        await self.ws.send(json.dumps(frame))

    async def wait_for(self, test: Callable[[dict[str, Any]], bool]) -> None:
        try:
            async with asyncio.timeout(6):
                while not any(test(f) for f in self.frames):
                    self.news.clear()
                    await self.news.wait()
        except TimeoutError:
            raise AssertionError(f"no such frame; got {self.frames[-10:]}") from None


@contextlib.asynccontextmanager
async def agent_socket(desk: Desk) -> AsyncIterator[AgentSocket]:
    url = desk.live_server.replace("http://", "ws://") + "/api/v1/live"
    async with connect(url, open_timeout=5) as ws:
        sock = AgentSocket(ws)
        await sock.send(type="hello", token=desk.sanne_token, after=0)
        sock.reader = asyncio.create_task(sock._read())
        try:
            yield sock
        finally:
            sock.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sock.reader


async def _send(visitor: Visitor, text: str) -> None:
    box = visitor.widget("textarea#balie-text")
    await box.fill(text)
    await box.press("Enter")
    await expect(box).to_have_value("")


# ---------------------------------------------------------------- (a) a chat


async def test_visitor_fills_the_form_and_chats_with_an_agent(
    desk: Desk, open_shop: OpenShop
) -> None:
    await desk.configure(
        prechat=[
            {"name": "name", "required": True},
            {"name": "email", "required": False},
            {"name": "topic", "required": True},
        ],
        topics=["Bestelling", "Retour"],
        hours=None,
        incident="Storing bij PostNL: pakketten komen een dag later.",
    )
    async with agent_socket(desk) as sanne:
        online = await desk.sanne.put("/api/v1/presence", json={"status": "online", "capacity": 5})
        assert online.status_code == 200, online.text

        joost = await open_shop(desk.key)
        await joost.widget(".launcher").click()
        panel = joost.widget(".panel")
        await expect(panel).to_be_visible()
        await expect(panel.locator(".incident")).to_contain_text("Storing bij PostNL")

        # Required fields are enforced before the chat starts.
        await panel.get_by_role("button", name="Start chat").click()
        await expect(panel.get_by_text("Please fill in this field.").first).to_be_visible()
        await expect(panel.get_by_label("Name")).to_be_focused()
        await panel.get_by_label("Name").fill("Joost Jansen")
        await panel.get_by_label("E-mail address").fill("joost@example.nl")
        await panel.get_by_label("Topic").select_option("Bestelling")
        await panel.get_by_role("button", name="Start chat").click()
        await expect(panel.get_by_label("Message")).to_be_focused()

        await _send(joost, "Waar blijft mijn bestelling?")
        mine = panel.locator(".msg.from-customer")
        await expect(mine).to_have_count(1)
        await expect(mine.first).to_have_attribute("data-state", re.compile("sent|read"))

        conversation = await desk.only_conversation()
        cid = conversation["id"]
        assert conversation["subject"] == "Bestelling"
        stored = await desk.messages(cid)
        assert [(m["author_kind"], m["text"]) for m in stored if not m["internal"]][:1] == [
            ("customer", "Waar blijft mijn bestelling?")
        ]

        # Routed to Sanne, who is online with room.
        await expect(panel.locator("header")).to_contain_text("Sanne")  # first name only

        # Typing, both ways.
        await joost.widget("textarea#balie-text").press_sequentially("Het is order 1042")
        await sanne.wait_for(
            lambda f: f.get("type") == "typing" and f.get("conversation_id") == cid and f.get("on")
        )
        await sanne.send(type="typing", conversation_id=cid, on=True)
        await expect(panel.locator(".typing")).to_contain_text("is typing")
        await joost.widget("textarea#balie-text").press("Enter")
        await expect(mine).to_have_count(2)

        # The answer arrives live, with Sanne's name and initials.
        await desk.reply(cid, "Hoi Joost, je pakket komt morgen.")
        answer = panel.locator(".msg.from-agent")
        await expect(answer).to_have_count(1)
        await expect(answer.locator(".text")).to_have_text("Hoi Joost, je pakket komt morgen.")
        await expect(answer.locator(".name")).to_have_text("Sanne")
        await expect(answer.locator(".avatar")).to_have_text(re.compile(r"^[A-Z]{1,3}$"))
        await expect(panel.locator(".typing")).to_have_text("")

        # Read receipts: the visitor's panel is open, so it reports what it has seen...
        last = max(m["seq"] for m in await desk.messages(cid))
        await sanne.wait_for(
            lambda f: (
                f.get("type") == "read" and f.get("conversation_id") == cid and f.get("seq") == last
            )
        )
        # ... and shows when the agent has read the visitor's messages.
        await sanne.send(type="read", conversation_id=cid, seq=last)
        await expect(mine.last).to_have_attribute("data-state", "read")
        await expect(mine.last).to_contain_text("Read")

        # The agent's view has both of the visitor's messages, once each.
        texts = [(m["author_kind"], m["text"]) for m in await desk.messages(cid)]
        assert texts.count(("customer", "Waar blijft mijn bestelling?")) == 1
        assert texts.count(("customer", "Het is order 1042")) == 1

        # The visitor ends the chat.
        await panel.get_by_role("button", name="End chat").click()
        await expect(panel.get_by_text("This chat has ended.")).to_be_visible()
        await expect(panel.get_by_role("button", name="Start a new chat")).to_be_focused()
        for _ in range(50):
            if (await desk.sanne.get(f"/api/v1/conversations/{cid}")).json()[
                "status"
            ] == "resolved":
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the chat did not end")


# ---------------------------------------------------------------- (b) a bad connection


async def test_no_message_is_lost_or_doubled_when_the_network_drops(
    desk: Desk, open_shop: OpenShop
) -> None:
    await desk.configure(prechat=[], hours=None)
    allow = r"WebSocket connection to .* failed|ERR_INTERNET_DISCONNECTED|Failed to load resource"
    visitor = await open_shop(desk.key, allow=allow)
    sent: list[dict[str, Any]] = []  # every frame the widget sends, on every socket
    visitor.page.on(
        "websocket",
        lambda ws: ws.on("framesent", lambda payload: sent.append(json.loads(payload))),
    )
    await visitor.widget(".launcher").click()
    await _send(visitor, "v1")
    cid = (await desk.only_conversation())["id"]
    await desk.reply(cid, "a1")
    await expect(visitor.widget(".msg.from-agent")).to_have_count(1)

    # The network drops; both sides keep writing.
    await visitor.context.set_offline(True)
    await expect(visitor.widget(".conn")).to_contain_text("offline")
    await _send(visitor, "v2")
    await desk.reply(cid, "a2")
    await _send(visitor, "v3")
    await desk.reply(cid, "a3")
    sending = visitor.widget(".msg.from-customer[data-state=sending]")
    await expect(sending).to_have_count(2)
    await visitor.context.set_offline(False)
    await expect(sending).to_have_count(0, timeout=15000)
    await expect(visitor.widget(".msg.from-agent")).to_have_count(3)

    # A copy of v1 left unacknowledged in storage (as if its ack was lost): sent again
    # after the reload with the same client_id, and stored and shown once all the same.
    v1 = next(m for m in await desk.messages(cid) if m["text"] == "v1")
    await visitor.page.evaluate(
        """([key, clientId]) => {
            const stale = {frame: {type: "message", client_id: clientId, text: "v1",
                                   attachments: []}, files: [], at: new Date().toISOString()};
            localStorage.setItem(key, JSON.stringify([stale]));
        }""",
        [f"balie:{desk.live_server}:{desk.key}:pending", v1["client_id"]],
    )
    # A message sent the moment the page reloads: kept and sent again, or already sent.
    box = visitor.widget("textarea#balie-text")
    await box.fill("v4")
    await box.press("Enter")
    reload = asyncio.create_task(visitor.page.reload())
    await desk.reply(cid, "a4")
    await reload
    await visitor.widget(".launcher").click()
    await expect(visitor.widget(".msg.from-agent")).to_have_count(4)

    # Gone offline just after sending: the frame may or may not have reached the server.
    await box.fill("v5")
    await box.press("Enter")
    await visitor.context.set_offline(True)
    await desk.reply(cid, "a5")
    await asyncio.sleep(0.3)
    await visitor.context.set_offline(False)

    # Navigating to another page of the shop: the chat comes along.
    await visitor.page.goto(visitor.page.url + "&page=2")
    await visitor.widget(".launcher").click()
    await _send(visitor, "v6")
    await desk.reply(cid, "a6")

    expected = [f"v{i}" for i in range(1, 7)] + [f"a{i}" for i in range(1, 7)]
    rows = visitor.widget(".messages .msg:not(.from-system)")
    await expect(rows).to_have_count(12, timeout=15000)
    await expect(visitor.widget(".msg.from-customer[data-state=sending]")).to_have_count(0)

    stored = [m for m in await desk.messages(cid) if not m["internal"]]
    seqs = [m["seq"] for m in stored]
    assert seqs == sorted(seqs)
    server_side = [m["text"] for m in stored if m["author_kind"] in ("customer", "agent")]
    assert sorted(server_side) == sorted(expected)  # every message once on the agent's side
    shown = [text for author, text in await visitor.messages() if author != "system"]
    assert shown == server_side  # ... and once, in seq order, in the widget
    for text in expected:
        assert shown.count(text) == 1, text
    # Retries did happen: v1 went over the wire twice, with its one client_id.
    resent = [f for f in sent if f.get("type") == "message" and f.get("text") == "v1"]
    assert {f["client_id"] for f in resent} == {v1["client_id"]}
    assert len(resent) + sum(f.get("type") == "start" and f.get("text") == "v1" for f in sent) >= 2
    hellos = [f for f in sent if f.get("type") == "hello"]
    assert len(hellos) >= 4  # first page, after the network came back, reload, navigation
    assert hellos[1]["after"] >= 2  # back online: only what was missed
    assert hellos[-1]["after"] == 0  # a fresh page has shown nothing yet


# ---------------------------------------------------------------- (c) outside business hours


def _closed_now() -> tuple[dict[str, Any], datetime]:
    """Hours that open only the day after tomorrow (Amsterdam time), 09:00-17:00."""
    zone = ZoneInfo("Europe/Amsterdam")
    day = datetime.now(zone) + timedelta(days=2)
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
    hours = {
        "timezone": "Europe/Amsterdam",
        "weekly": {weekday: [["09:00", "17:00"]]},
        "holidays": [],
        "preset": None,
    }
    return hours, day.replace(hour=9, minute=0, second=0, microsecond=0)


async def test_outside_hours_a_callback_request_becomes_a_conversation(
    desk: Desk, open_shop: OpenShop
) -> None:
    hours, opens = _closed_now()
    await desk.configure(prechat=[{"name": "name", "required": True}], hours=hours)

    piet = await open_shop(desk.key)
    await piet.widget(".launcher").click()
    panel = piet.widget(".panel")
    await expect(panel.locator(".closed")).to_contain_text("We are closed right now.")
    await expect(panel.locator(".closed")).to_contain_text(
        re.compile(f"We are back on {opens:%A},? {opens.day} {opens:%B} at 09:00\\.")
    )
    await expect(panel.get_by_label("Message")).to_be_hidden()

    await panel.get_by_label("Call me back").check()
    await panel.get_by_role("button", name="Send").click()
    await expect(panel.get_by_label("Name")).to_be_focused()  # required, empty
    await panel.get_by_label("Name").fill("Piet Pieters")
    await panel.get_by_label("Phone number").fill("06 1234 5678")
    await panel.get_by_label("Best time to call").fill("morgenochtend")
    await panel.get_by_label("Your question").fill("Mijn e-bike laadt niet meer op.")
    await panel.get_by_role("button", name="Send").click()
    confirm = panel.locator(".confirm")
    await expect(confirm).to_contain_text("We will call you at 06 1234 5678.")
    await expect(confirm).to_be_focused()

    requested = await desk.chat_conversations(tag="callback-request")
    assert len(requested) == 1
    texts = [m["text"] for m in await desk.messages(requested[0]["id"])]
    assert "Mijn e-bike laadt niet meer op." in texts
    assert any("06 1234 5678" in t and "morgenochtend" in t for t in texts)

    # In Dutch (the shop's language), an e-mail follow-up instead.
    anna = await open_shop(desk.key, lang="nl")
    await anna.widget(".launcher").click()
    panel = anna.widget(".panel")
    await expect(panel.locator(".closed")).to_contain_text("We zijn nu gesloten.")
    await expect(panel.locator(".closed")).to_contain_text(" om 09:00.")
    await panel.get_by_label("Naam").fill("Anna de Boer")
    await panel.get_by_label("E-mailadres").fill("anna@example.nl")
    await panel.get_by_label("Je vraag").fill("Kan ik mijn fiets ruilen?")
    await panel.get_by_role("button", name="Versturen").click()
    await expect(panel.locator(".confirm")).to_contain_text("anna@example.nl")
    assert len(await desk.chat_conversations(tag="email-follow-up")) == 1


# ---------------------------------------------------------------- (d) hostile text


async def test_markup_in_messages_stays_text(desk: Desk, open_shop: OpenShop) -> None:
    await desk.configure(prechat=[], hours=None, incident=XSS_PAYLOADS[0])
    mallory = await open_shop(desk.key)
    await mallory.widget(".launcher").click()
    await expect(mallory.widget(".incident")).to_contain_text(XSS_PAYLOADS[0])
    for payload in XSS_PAYLOADS:
        await _send(mallory, payload)
    cid = (await desk.only_conversation())["id"]
    for payload in XSS_PAYLOADS:
        await desk.reply(cid, payload)
    await expect(mallory.widget(".msg.from-agent")).to_have_count(len(XSS_PAYLOADS))
    await expect(mallory.widget(".msg.from-customer[data-state=sending]")).to_have_count(0)

    shown = await mallory.messages()
    assert [t for a, t in shown if a == "customer"] == XSS_PAYLOADS
    assert [t for a, t in shown if a == "agent"] == XSS_PAYLOADS
    injected = await mallory.page.evaluate(
        """() => {
            const root = document.querySelector('balie-chat').shadowRoot;
            return root.querySelectorAll(
                '.messages img, .messages script, .messages iframe, .messages svg, '
                + '.messages a, .messages input, .messages style, .messages details, '
                + '.incident img').length
                + document.querySelectorAll('img, iframe, svg, details, marquee').length;
        }"""
    )
    assert injected == 0
    await asyncio.sleep(0.3)  # time for any onerror/onload to have fired
    assert await mallory.page.evaluate("() => window.__xss") is None


# ---------------------------------------------------------------- (e) hostile CSS, keyboard


async def test_hostile_css_changes_nothing_and_the_keyboard_suffices(
    desk: Desk, open_shop: OpenShop
) -> None:
    await desk.configure(prechat=[], hours=None)
    probe = """el => {
        const s = getComputedStyle(el), r = el.getBoundingClientRect();
        return [s.width, s.height, s.fontSize, s.color, s.display, s.borderRadius,
                Math.round(r.width), Math.round(r.height)];
    }"""
    plain = await open_shop(desk.key)
    reference = await plain.widget(".launcher").evaluate(probe)
    assert reference[:2] == ["56px", "56px"]

    shop = await open_shop(desk.key, hostile=True)
    assert await shop.page.evaluate("() => getComputedStyle(document.body).fontSize") == "40px"
    assert await shop.widget(".launcher").evaluate(probe) == reference
    assert await shop.widget(".panel").evaluate("el => getComputedStyle(el).display") == "none"

    # Keyboard only: Tab to the launcher, Enter, type, Enter.
    page = shop.page
    on_launcher = """() => {
        const host = document.activeElement;
        return host && host.tagName === 'BALIE-CHAT'
            && host.shadowRoot.activeElement?.classList.contains('launcher');
    }"""
    for _ in range(10):
        await page.keyboard.press("Tab")
        if await page.evaluate(on_launcher):
            break
    else:
        raise AssertionError("Tab never reached the launcher")
    await page.keyboard.press("Enter")
    panel = shop.widget(".panel")
    await expect(panel).to_be_visible()
    await expect(shop.widget("textarea#balie-text")).to_be_focused()
    font = await shop.widget("textarea#balie-text").evaluate("el => getComputedStyle(el).fontSize")
    assert font == "15px"
    await page.keyboard.type("Hallo, alleen met het toetsenbord")
    await page.keyboard.press("Enter")
    mine = shop.widget(".msg.from-customer")
    await expect(mine).to_have_count(1)
    await expect(mine.first).to_have_attribute("data-state", re.compile("sent|read"))
    await expect(mine.locator(".text")).to_have_text("Hallo, alleen met het toetsenbord")

    await page.keyboard.press("Escape")
    await expect(panel).to_be_hidden()
    assert await page.evaluate(on_launcher)
    await page.keyboard.press("Enter")
    await expect(panel).to_be_visible()


# ---------------------------------------------------------------- attachments


async def test_attachments_are_checked_uploaded_and_linked(desk: Desk, open_shop: OpenShop) -> None:
    await desk.configure(prechat=[], hours=None)
    visitor = await open_shop(desk.key)
    await visitor.widget(".launcher").click()
    await _send(visitor, "Hier is de bon")
    files = visitor.widget("input#balie-file")

    # Refused in the browser, before any upload.
    await files.set_input_files(
        {"name": "virus.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ"}
    )
    await expect(visitor.widget(".error")).to_contain_text("virus.exe cannot be sent")

    await files.set_input_files(
        {"name": "bon.txt", "mimeType": "text/plain", "buffer": b"Bon 1042: EUR 799"}
    )
    await expect(visitor.widget(".uploads")).to_contain_text("bon.txt")
    # Sending waits for the upload; the chip says "Uploading…" until it is stored.
    await expect(visitor.widget(".uploads")).not_to_contain_text("Uploading")
    await visitor.widget("button.send").click()
    link = visitor.widget(".msg.from-customer .files a")
    await expect(link).to_have_text(re.compile(r"^bon\.txt"))
    await expect(link).to_have_attribute("rel", re.compile("noopener"))
    await expect(link).to_have_attribute("download", "bon.txt")
    cid = (await desk.only_conversation())["id"]
    stored = [m for m in await desk.messages(cid) if m["attachments"]]
    assert [a["name"] for a in stored[0]["attachments"]] == ["bon.txt"]
