"""A chat visitor is asked in the widget itself: the survey arrives as a message over the
visitor's websocket, spoken by a plain websocket client against a real server."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import select

from balie.store.database import Database
from balie.store.tables import Survey
from tests.chat_support import new_visitor
from tests.conftest import MakeAgent
from tests.live_support import serving_on

LINK = re.compile(r"(https?://\S+?)(/survey/[A-Za-z0-9_.\-]+)")


@pytest.fixture(scope="module")
def server(
    database_url: str, migrated_db: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with serving_on(database_url, tmp_path_factory.mktemp("surveys")) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def test_a_chat_visitor_sees_the_survey_in_the_widget_after_resolution(
    server: str, http: httpx.AsyncClient, make_agent: MakeAgent, db: Database
) -> None:
    admin = await make_agent("admin", team="Webwinkel")
    sanne = await make_agent("agent", team="Webwinkel", name="Sanne Jansen")
    staff = {"Authorization": f"Bearer {sanne.token}"}
    created = await http.post(
        f"{server}/api/v1/inboxes",
        json={"team_id": admin.team_id, "name": "Webwinkel chat", "channel": "chat"},
        headers={"Authorization": f"Bearer {admin.token}"},
    )
    assert created.status_code == 201, created.text
    visitor = await new_visitor(http, server, created.json()["key"])
    await visitor.connect()
    ack = await visitor.say("Mijn pakket is niet aangekomen", start=True)
    conversation_id = ack["conversation_id"]
    replied = await http.post(
        f"{server}/api/v1/conversations/{conversation_id}/messages",
        json={"text": "Ik heb een nieuw pakket voor je verstuurd."},
        headers=staff,
    )
    assert replied.status_code == 201, replied.text
    await visitor.until("message", author="agent")

    resolved = await http.patch(
        f"{server}/api/v1/conversations/{conversation_id}",
        json={"status": "resolved"},
        headers=staff,
    )
    assert resolved.status_code == 200, resolved.text
    survey_message = await visitor.until("message", author="system")
    await visitor.close()
    found = LINK.search(survey_message["text"])
    assert found, survey_message["text"]
    page = await http.get(server + found.group(2))
    assert page.status_code == 200
    assert 'type="radio"' in page.text
    async with db.reading() as session:
        (survey,) = list(await session.scalars(select(Survey)))
    assert (survey.conversation_id, survey.channel) == (conversation_id, "chat")
