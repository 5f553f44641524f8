"""Callbacks (SCENARIOS B5): planned in a slot inside business hours, reminded once, a
missed one recorded and planned again, and requested from the widget outside hours."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from balie.act import CLI, Act, utcnow
from balie.agents.actions import create_inbox, create_team
from balie.chat.actions import configure_inbox
from balie.store.database import Database
from balie.store.tables import Alert, Callback, Conversation, Customer, Inbox, Message, Timer
from balie.timers.loop import fire_due
from tests.conftest import MakeAgent, Person, new_conversation, snapshot
from tests.test_web_support import csrf_of, log_in, web_client

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def tomorrow_at(hour: int, minute: int = 0) -> dt.datetime:
    day = utcnow().date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def slot(start: dt.datetime, minutes: int = 30) -> dict[str, str]:
    return {
        "slot_start": start.isoformat(),
        "slot_end": (start + dt.timedelta(minutes=minutes)).isoformat(),
    }


async def conversation_of(person: Person) -> int:
    created = await person.client.post("/api/v1/conversations", json=new_conversation())
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


async def chat_inbox(db: Database, hours: dict[str, Any] | None) -> Inbox:
    async with db.writing() as session:
        act = Act(session, CLI, utcnow())
        team = await create_team(act, name="Webwinkel")
        inbox = await create_inbox(act, team_id=team.id, name="Webwinkel chat", channel="chat")
        await configure_inbox(act, inbox, {"hours": hours})
        return inbox


def one_hour_a_day(hour: int) -> dict[str, Any]:
    """Open one hour every day, in UTC, so tests can reason in UTC."""
    end = "24:00" if hour == 23 else f"{hour + 1:02d}:00"
    return {"timezone": "UTC", "weekly": {d: [[f"{hour:02d}:00", end]] for d in DAYS}}


async def timers_of(db: Database, callback_id: int) -> dict[str, Timer]:
    async with db.reading() as session:
        rows = await session.scalars(
            select(Timer).where(Timer.key.like(f"callback:{callback_id}:%"))
        )
        return {t.key.rsplit(":", 1)[1]: t for t in rows}


async def alerts(db: Database, kind: str) -> list[Alert]:
    async with db.reading() as session:
        return list(
            await session.scalars(select(Alert).where(Alert.kind == kind).order_by(Alert.id))
        )


async def test_an_agent_plans_a_callback_and_its_reminders_are_armed(
    agent: Person, db: Database
) -> None:
    conversation_id = await conversation_of(agent)
    start = tomorrow_at(10)
    answer = await agent.client.post(
        f"/api/v1/conversations/{conversation_id}/callbacks",
        json={"phone": "06 1234 5678", **slot(start), "note": "Na de lunch"},
    )
    assert answer.status_code == 201, answer.text
    callback = answer.json()
    assert callback["phone"] == "+31612345678"
    assert callback["status"] == "scheduled"
    assert callback["owner_id"] == agent.id  # nobody owned the conversation
    timers = await timers_of(db, callback["id"])
    assert timers["remind"].kind == "callbacks.remind"
    assert timers["remind"].due_at == start - dt.timedelta(minutes=15)
    assert timers["check"].kind == "callbacks.check"
    assert timers["check"].due_at == start + dt.timedelta(minutes=60)

    listed = await agent.client.get(f"/api/v1/conversations/{conversation_id}/callbacks")
    assert [c["id"] for c in listed.json()] == [callback["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "06 1234 5678", "slot_end_minutes": 10}, "slot_end"),
        ({"phone": "06 1234 5678", "past": True}, "slot_start"),
        ({"phone": "06 1234 5678", "closed": True}, "slot_start"),
    ],
)
async def test_a_bad_callback_is_refused_naming_the_field_and_changes_nothing(
    make_agent: MakeAgent, db: Database, body: dict[str, Any], field: str
) -> None:
    hour = (utcnow().hour + 3) % 24
    inbox = await chat_inbox(db, one_hour_a_day(hour))
    agent = await make_agent("agent", team="Webwinkel")
    created = await agent.client.post(
        "/api/v1/conversations", json=new_conversation(inbox_id=inbox.id)
    )
    conversation_id = created.json()["id"]
    start = tomorrow_at(hour)
    if body.pop("past", False):
        start -= dt.timedelta(days=2)
    if body.pop("closed", False):
        start += dt.timedelta(hours=1)
    minutes = body.pop("slot_end_minutes", 30)
    before = await snapshot(db)
    answer = await agent.client.post(
        f"/api/v1/conversations/{conversation_id}/callbacks", json={**body, **slot(start, minutes)}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert await snapshot(db) == before


async def test_times_without_a_zone_and_unknown_fields_are_refused(
    agent: Person, db: Database
) -> None:
    conversation_id = await conversation_of(agent)
    before = await snapshot(db)
    naive = {
        "phone": "0612345678",
        "slot_start": "2030-01-01T10:00",
        "slot_end": "2030-01-01T10:30",
    }
    extra = {"phone": "0612345678", **slot(tomorrow_at(10)), "owner": 5}
    for body in (naive, extra):
        answer = await agent.client.post(
            f"/api/v1/conversations/{conversation_id}/callbacks", json=body
        )
        assert answer.status_code == 422, answer.text
    assert await snapshot(db) == before


async def test_the_reminder_fires_once_and_alerts_the_owner(agent: Person, db: Database) -> None:
    conversation_id = await conversation_of(agent)
    start = tomorrow_at(10)
    answer = await agent.client.post(
        f"/api/v1/conversations/{conversation_id}/callbacks",
        json={"phone": "0201234567", **slot(start)},
    )
    assert answer.status_code == 201, answer.text
    callback_id = answer.json()["id"]
    await fire_due(db, now=start - dt.timedelta(minutes=16))
    assert await alerts(db, "callback_due") == []
    await fire_due(db, now=start - dt.timedelta(minutes=15))
    await fire_due(db, now=start - dt.timedelta(minutes=5))
    (reminder,) = await alerts(db, "callback_due")
    assert (await timers_of(db, callback_id))["remind"].status == "done"
    assert reminder.agent_id == agent.id
    assert reminder.conversation_id == conversation_id
    assert "+31201234567" in reminder.text
    mine = await agent.client.get("/api/v1/alerts")
    assert reminder.id in [a["id"] for a in mine.json()]


async def test_an_unrecorded_callback_asks_the_owner_whether_it_happened(
    agent: Person, db: Database
) -> None:
    first, second = await conversation_of(agent), await conversation_of(agent)
    start = tomorrow_at(10)
    ids = []
    for conversation_id in (first, second):
        answer = await agent.client.post(
            f"/api/v1/conversations/{conversation_id}/callbacks",
            json={"phone": "0612345678", **slot(start)},
        )
        ids.append(answer.json()["id"])
    done = await agent.client.post(f"/api/v1/callbacks/{ids[1]}/outcome", json={"outcome": "done"})
    assert done.status_code == 200, done.text
    await fire_due(db, now=start + dt.timedelta(hours=2))
    (question,) = await alerts(db, "callback_unrecorded")
    assert question.conversation_id == first and question.agent_id == agent.id
    assert "Did the callback" in question.text


async def test_a_no_show_is_recorded_and_rescheduling_moves_the_timers(
    agent: Person, db: Database
) -> None:
    conversation_id = await conversation_of(agent)
    start = tomorrow_at(10)
    planned = await agent.client.post(
        f"/api/v1/conversations/{conversation_id}/callbacks",
        json={"phone": "0612345678", **slot(start)},
    )
    old_id = planned.json()["id"]

    missed = await agent.client.post(
        f"/api/v1/callbacks/{old_id}/outcome", json={"outcome": "no_show", "note": "Voicemail"}
    )
    assert missed.status_code == 200, missed.text
    assert missed.json()["callback"]["status"] == "no_show"
    offer = missed.json()["reschedule"]
    assert offer["href"] == f"/api/v1/callbacks/{old_id}/reschedule"
    assert offer["slots"], "a no-show offers slots to plan the call again"
    async with db.reading() as session:
        notes = list(
            await session.scalars(
                select(Message).where(
                    Message.conversation_id == conversation_id, Message.internal.is_(True)
                )
            )
        )
    assert any("no-show" in m.text and "Voicemail" in m.text for m in notes)
    assert {t.status for t in (await timers_of(db, old_id)).values()} == {"cancelled"}

    again = await agent.client.post(f"/api/v1/callbacks/{old_id}/outcome", json={"outcome": "done"})
    assert again.status_code == 409

    new_start = tomorrow_at(14)
    moved = await agent.client.post(f"/api/v1/callbacks/{old_id}/reschedule", json=slot(new_start))
    assert moved.status_code == 201, moved.text
    new = moved.json()
    assert new["rescheduled_from_id"] == old_id and new["status"] == "scheduled"
    assert new["phone"] == "+31612345678" and new["owner_id"] == agent.id
    timers = await timers_of(db, new["id"])
    assert timers["remind"].status == "pending"
    assert timers["remind"].due_at == new_start - dt.timedelta(minutes=15)
    assert timers["check"].due_at == new_start + dt.timedelta(minutes=60)
    async with db.reading() as session:
        old = await session.get(Callback, old_id)
    assert old is not None and old.status == "rescheduled"

    # The old slot's time passes quietly; the new slot reminds.
    await fire_due(db, now=start + dt.timedelta(hours=1))
    assert await alerts(db, "callback_due") == []
    await fire_due(db, now=new_start - dt.timedelta(minutes=15))
    assert len(await alerts(db, "callback_due")) == 1


async def test_my_callbacks_of_a_day(make_agent: MakeAgent, agent: Person) -> None:
    colleague = await make_agent("agent")
    for person, hour in ((agent, 11), (colleague, 10), (agent, 9)):
        conversation_id = await conversation_of(person)
        answer = await person.client.post(
            f"/api/v1/conversations/{conversation_id}/callbacks",
            json={"phone": "0612345678", **slot(tomorrow_at(hour))},
        )
        assert answer.status_code == 201, answer.text
    # Tomorrow noon UTC is tomorrow in Amsterdam too.
    day = tomorrow_at(12).date().isoformat()
    mine = await agent.client.get("/api/v1/callbacks", params={"mine": "true", "day": day})
    assert [c["slot_start"][11:16] for c in mine.json()] == ["09:00", "11:00"]
    everyone = await agent.client.get("/api/v1/callbacks", params={"mine": "false", "day": day})
    assert len(everyone.json()) == 3
    today = await agent.client.get("/api/v1/callbacks")
    assert today.json() == []


async def test_a_visitor_asks_for_a_callback_outside_business_hours(
    app: Any, anon: httpx.AsyncClient, db: Database
) -> None:
    hour = (utcnow().hour + 3) % 24
    inbox = await chat_inbox(db, one_hour_a_day(hour))
    config = await anon.get(f"/chat/v1/inboxes/{inbox.key}")
    assert config.json()["open"] is False
    offered = (await anon.get(f"/chat/v1/inboxes/{inbox.key}/callback-slots")).json()["slots"]
    assert offered and all(s["start"][11:13] == f"{hour:02d}" for s in offered)
    token = (await anon.post(f"/chat/v1/inboxes/{inbox.key}/visitors")).json()["token"]
    visitor = {"Authorization": f"Bearer {token}"}
    url = f"/chat/v1/inboxes/{inbox.key}/callbacks"

    before = await snapshot(db)
    for bad in (
        {"phone": "bel me", "slot_start": offered[0]["start"], "client_id": "r-1"},
        {"phone": "0612345678", "slot_start": "2031-01-01T03:17:00+00:00", "client_id": "r-1"},
        {"phone": "0612345678", "slot_start": offered[0]["start"], "client_id": "r-1", "x": 1},
    ):
        refused = await anon.post(url, json=bad, headers=visitor)
        assert refused.status_code == 422, refused.text
    assert (await anon.post(url, json={"phone": "0612345678"})).status_code == 401
    assert await snapshot(db) == before

    body = {
        "phone": "06 1234 5678",
        "slot_start": offered[1]["start"],
        "name": "Sanne",
        "text": "Mijn wasmachine lekt",
        "preferred_time": "liefst vroeg",
        "client_id": "r-1",
    }
    asked = await anon.post(url, json=body, headers=visitor)
    assert asked.status_code == 201, asked.text
    again = await anon.post(url, json=body, headers=visitor)  # a retry stays one request
    assert again.json()["callback_id"] == asked.json()["callback_id"]
    async with db.reading() as session:
        (callback,) = list(await session.scalars(select(Callback)))
        conversation = await session.get(Conversation, callback.conversation_id)
    assert callback.owner_id is None and callback.status == "scheduled"
    assert callback.phone == "+31612345678"
    assert callback.slot_start.isoformat() == offered[1]["start"]
    assert conversation is not None and conversation.inbox_id == inbox.id
    assert conversation.channel == "chat" and conversation.visitor is not None
    # Nobody has taken it: the supervisors hear of it.
    await fire_due(db, now=callback.slot_start - dt.timedelta(minutes=15))
    (reminder,) = await alerts(db, "callback_due")
    assert reminder.agent_id is None and "nobody has taken it yet" in reminder.text
    async with db.reading() as session:
        notes = list(
            await session.scalars(
                select(Message.text).where(
                    Message.conversation_id == conversation.id, Message.internal.is_(True)
                )
            )
        )
    (request,) = [n for n in notes if n.startswith("Requested: callback")]
    assert "06 1234 5678" in request and "liefst vroeg" in request


async def test_the_conversation_panel_plans_and_records_callbacks(
    app: Any, agent: Person, db: Database
) -> None:
    conversation_id = await conversation_of(agent)
    async with web_client(app) as browser:
        await log_in(browser, agent.email)
        panel = await browser.get(f"/conversations/{conversation_id}/callbacks")
        assert panel.status_code == 200 and "Terugbellen plannen" in panel.text
        day = tomorrow_at(12).astimezone(dt.timezone(dt.timedelta(hours=1)))
        planned = await browser.post(
            f"/conversations/{conversation_id}/callbacks",
            data={
                "csrf": csrf_of(panel.text),
                "phone": "020 123 4567",
                "date": day.date().isoformat(),
                "time": "11:00",
                "minutes": "30",
            },
        )
        assert planned.status_code == 303
        assert planned.headers["location"] == f"/conversations/{conversation_id}"
        panel = await browser.get(f"/conversations/{conversation_id}/callbacks")
        assert "+31201234567" in panel.text and "Niet bereikt" in panel.text
        async with db.reading() as session:
            (callback,) = list(await session.scalars(select(Callback)))
        missed = await browser.post(
            f"/callbacks/{callback.id}/outcome",
            data={"csrf": csrf_of(panel.text), "outcome": "no_show"},
        )
        assert missed.status_code == 303
        panel = await browser.get(f"/conversations/{conversation_id}/callbacks")
        assert "callback-no_show" in panel.text and "Opnieuw plannen" in panel.text
        page = await browser.get(f"/callbacks?day={day.date().isoformat()}")
        assert page.status_code == 200 and "+31201234567" in page.text


async def _visitor_with_open_chat(
    anon: httpx.AsyncClient, db: Database
) -> tuple[Inbox, dict[str, str], list[dict[str, str]], int]:
    """A closed chat inbox and a visitor whose callback request opened a chat."""
    hour = (utcnow().hour + 3) % 24
    inbox = await chat_inbox(db, one_hour_a_day(hour))
    offered = (await anon.get(f"/chat/v1/inboxes/{inbox.key}/callback-slots")).json()["slots"]
    token = (await anon.post(f"/chat/v1/inboxes/{inbox.key}/visitors")).json()["token"]
    visitor = {"Authorization": f"Bearer {token}"}
    first = await anon.post(
        f"/chat/v1/inboxes/{inbox.key}/callbacks",
        json={"phone": "0612345678", "slot_start": offered[0]["start"], "client_id": "r-1"},
        headers=visitor,
    )
    assert first.status_code == 201, first.text
    return inbox, visitor, offered, int(first.json()["conversation_id"])


async def test_a_blocked_customer_cannot_ask_for_a_callback_through_an_open_chat(
    app: Any, anon: httpx.AsyncClient, db: Database
) -> None:
    inbox, visitor, offered, conversation_id = await _visitor_with_open_chat(anon, db)
    async with db.writing() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        customer = await session.get(Customer, conversation.customer_id)
        assert customer is not None
        customer.blocked_until = utcnow() + dt.timedelta(days=30)
    before = await snapshot(db)
    refused = await anon.post(
        f"/chat/v1/inboxes/{inbox.key}/callbacks",
        json={"phone": "0612345678", "slot_start": offered[1]["start"], "client_id": "r-2"},
        headers=visitor,
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["chat_code"] == "blocked"
    assert await snapshot(db) == before


async def test_the_visitors_words_reach_their_open_chat(
    app: Any, anon: httpx.AsyncClient, db: Database
) -> None:
    inbox, visitor, offered, conversation_id = await _visitor_with_open_chat(anon, db)
    asked = await anon.post(
        f"/chat/v1/inboxes/{inbox.key}/callbacks",
        json={
            "phone": "0612345678",
            "slot_start": offered[1]["start"],
            "client_id": "r-2",
            "text": "Het gaat over bestelling 4411",
        },
        headers=visitor,
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["conversation_id"] == conversation_id
    async with db.reading() as session:
        said = list(
            await session.scalars(
                select(Message.text).where(
                    Message.conversation_id == conversation_id, Message.author_kind == "customer"
                )
            )
        )
    assert "Het gaat over bestelling 4411" in said


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/callbacks", {"day": "9999-12-31"}, "day"),
        ("/api/v1/callbacks", {"day": "0001-01-01"}, "day"),
        ("/callbacks", {"day": "9999-12-31"}, "day"),
        ("/callbacks", {"day": "0001-01-01"}, "day"),
    ],
)
async def test_far_away_days_are_refused_naming_the_field(
    app: Any, agent: Person, path: str, params: dict[str, str], field: str
) -> None:
    if path.startswith("/api"):
        answer = await agent.client.get(path, params=params)
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == field
    else:
        async with web_client(app) as browser:
            await log_in(browser, agent.email)
            answer = await browser.get(path, params=params)
        assert answer.status_code == 422, answer.text


async def test_far_away_slots_are_refused_naming_the_field_and_change_nothing(
    agent: Person, anon: httpx.AsyncClient, db: Database
) -> None:
    conversation_id = await conversation_of(agent)
    hour = (utcnow().hour + 3) % 24
    inbox = await chat_inbox(db, one_hour_a_day(hour))
    token = (await anon.post(f"/chat/v1/inboxes/{inbox.key}/visitors")).json()["token"]
    before = await snapshot(db)
    far = "9999-12-31T23:59:59-01:00"
    public = await anon.post(
        f"/chat/v1/inboxes/{inbox.key}/callbacks",
        json={"phone": "0612345678", "slot_start": far, "client_id": "r-1"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert public.status_code == 422, public.text
    assert public.json()["field"] == "slot_start"
    for start, end, field in (
        (far, far, "slot_start"),
        ("0001-01-01T00:00:00+01:00", tomorrow_at(10).isoformat(), "slot_start"),
        (tomorrow_at(10).isoformat(), far, "slot_end"),
    ):
        planned = await agent.client.post(
            f"/api/v1/conversations/{conversation_id}/callbacks",
            json={"phone": "0612345678", "slot_start": start, "slot_end": end},
        )
        assert planned.status_code == 422, planned.text
        assert planned.json()["field"] == field
    assert await snapshot(db) == before


async def test_the_reminder_follows_a_hand_over(make_agent: MakeAgent, db: Database) -> None:
    planner, colleague = await make_agent("agent"), await make_agent("agent")
    conversation_id = await conversation_of(planner)
    taken = await planner.client.patch(
        f"/api/v1/conversations/{conversation_id}", json={"owner_id": planner.id}
    )
    assert taken.status_code == 200, taken.text
    start = tomorrow_at(10)
    planned = await planner.client.post(
        f"/api/v1/conversations/{conversation_id}/callbacks",
        json={"phone": "0612345678", **slot(start)},
    )
    assert planned.status_code == 201, planned.text
    asked = await planner.client.post(
        f"/api/v1/conversations/{conversation_id}/handovers", json={"to_agent_id": colleague.id}
    )
    assert asked.status_code == 201, asked.text
    accepted = await colleague.client.post(f"/api/v1/handovers/{asked.json()['id']}/accept")
    assert accepted.status_code == 200, accepted.text

    day = {"day": start.date().isoformat()}
    assert [
        c["id"] for c in (await colleague.client.get("/api/v1/callbacks", params=day)).json()
    ] == [planned.json()["id"]]
    assert (await planner.client.get("/api/v1/callbacks", params=day)).json() == []
    await fire_due(db, now=start - dt.timedelta(minutes=15))
    (reminder,) = await alerts(db, "callback_due")
    assert reminder.agent_id == colleague.id
    await fire_due(db, now=start + dt.timedelta(hours=2))
    (question,) = await alerts(db, "callback_unrecorded")
    assert question.agent_id == colleague.id


async def test_the_agent_who_takes_a_widget_request_is_reminded(
    app: Any, anon: httpx.AsyncClient, agent: Person, db: Database
) -> None:
    _, _, offered, conversation_id = await _visitor_with_open_chat(anon, db)
    async with db.writing() as session:  # the agent may see the chat inbox's team
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        conversation.owner_id = agent.id
    day = {"day": offered[0]["start"][:10]}
    mine = (await agent.client.get("/api/v1/callbacks", params=day)).json()
    assert [c["conversation_id"] for c in mine] == [conversation_id]
    start = dt.datetime.fromisoformat(offered[0]["start"])
    await fire_due(db, now=start - dt.timedelta(minutes=15))
    (reminder,) = await alerts(db, "callback_due")
    assert reminder.agent_id == agent.id and "nobody has taken it" not in reminder.text
