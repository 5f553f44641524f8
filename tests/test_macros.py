"""Macros (D4): personal and shared ones with placeholders for customer and order data,
checked by the coach before they are saved, and sent with their actions in one go."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from balie.act import CLI, Act, utcnow
from balie.agents.actions import create_inbox, create_team
from balie.chat.actions import configure_inbox
from balie.conversations import actions
from balie.customers.actions import customer_for_email
from balie.hours import parse_hours
from balie.macros.render import MissingData, describe_hours, render, unknown_placeholders
from balie.orders.actions import create_order, create_product
from balie.store.database import Database
from balie.store.tables import GoodwillAction, Message, Team
from tests.conftest import MakeAgent, Person, new_conversation, snapshot

API = "/api/v1"
TEAM = "Winkel"
GREETING = (
    "Beste {customer_first_name}, uw bestelling {order_reference} ({product_name}) is "
    "onderweg. U kunt ons bereiken {business_hours}. Met vriendelijke groet, {agent_name}"
)


def macro(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Bestelling onderweg",
        "language": "nl",
        "body": "Beste {customer_name}, uw pakket is onderweg. Groet, {agent_first_name}",
        "actions": [],
    }
    body.update(over)
    return body


async def create(person: Person, **over: Any) -> dict[str, Any]:
    r = await person.client.post(f"{API}/macros", json=macro(**over))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def conversation_with_order(db: Database, *, name: str = "Sanne de Vries") -> int:
    async with db.writing() as session:
        act = Act(session, CLI, utcnow())
        customer = await customer_for_email(act, email="sanne@example.nl", name=name)
        team_id = await session.scalar(select(Team.id).where(Team.name == TEAM))
        team_id = team_id or (await create_team(act, name=TEAM)).id
        inbox = await create_inbox(act, team_id=team_id, name="Webwinkel", channel="chat")
        office = [["09:00", "17:00"]]
        week = {day: office for day in ("mon", "tue", "wed", "thu", "fri")}
        await configure_inbox(
            act, inbox, {"hours": {"timezone": "Europe/Amsterdam", "weekly": week}}
        )
        await create_product(act, sku="WM-800", name="Wasmachine WM-800", warranty_months=24)
        order = await create_order(
            act,
            reference="A-2041",
            product_sku="WM-800",
            purchase_date=dt.date(2026, 3, 1),
            customer_id=customer.id,
        )
        conversation, _ = await actions.create_conversation(
            act,
            customer=customer,
            subject="Waar blijft mijn wasmachine?",
            text="Ik heb vorige week een wasmachine besteld, waar blijft hij?",
            order_id=order.id,
            inbox_id=inbox.id,
            language="nl",
            tags=["levering"],
        )
    return conversation.id


async def messages(db: Database, conversation_id: int) -> list[Message]:
    async with db.reading() as session:
        return list(
            await session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.seq)
            )
        )


# --- Rendering (pure) ------------------------------------------------------------------


def test_placeholders_are_filled_from_the_conversations_data() -> None:
    text = render(
        "Dear {customer_first_name}, order {order_reference} ({ conversation_id }).",
        {"customer_first_name": "Sanne", "order_reference": "A-1", "conversation_id": "7"},
    )
    assert text == "Dear Sanne, order A-1 (7)."


def test_a_placeholder_without_data_is_refused_naming_every_missing_one() -> None:
    with pytest.raises(MissingData) as refused:
        render(
            "Dear {customer_name}, your {product_name} order {order_reference}",
            {"customer_name": "Sanne", "product_name": None, "order_reference": " "},
        )
    assert refused.value.missing == ["product_name", "order_reference"]
    assert "{product_name}, {order_reference}" in str(refused.value)


def test_unknown_and_misspelt_placeholders_are_found() -> None:
    body = "Hi {customer_name}, {Customer Name} and {ordernumber}; a smiley {:-)} is fine"
    assert unknown_placeholders(body) == ["Customer Name", "ordernumber"]


def test_business_hours_in_words_in_both_languages() -> None:
    weekdays = ["09:00", "17:00"]
    hours = parse_hours(
        {
            "timezone": "Europe/Amsterdam",
            "weekly": {
                "mon": [weekdays],
                "tue": [weekdays],
                "wed": [weekdays],
                "thu": [weekdays],
                "fri": [weekdays],
                "sat": [["10:00", "12:00"], ["13:00", "16:00"]],
            },
        }
    )
    assert describe_hours(hours, "nl") == "ma-vr 09:00-17:00, za 10:00-12:00 en 13:00-16:00"
    assert describe_hours(hours, "en") == "Mon-Fri 09:00-17:00, Sat 10:00-12:00 and 13:00-16:00"
    assert describe_hours(None, "nl") == "dag en nacht"
    assert describe_hours(None, "en") == "day and night"
    with_holidays = parse_hours(
        {"timezone": "Europe/Amsterdam", "weekly": {"mon": [weekdays]}, "preset": "NL"}
    )
    assert describe_hours(with_holidays, "nl") == "ma 09:00-17:00 (gesloten op feestdagen)"


# --- Saving ----------------------------------------------------------------------------


async def test_an_agent_saves_a_personal_macro_and_sees_own_and_shared_ones(
    make_agent: MakeAgent,
) -> None:
    sanne = await make_agent("agent", team=TEAM)
    piet = await make_agent("agent", team=TEAM)
    lead = await make_agent("supervisor", team=TEAM)
    mine = await create(sanne)
    assert mine["owner_id"] == sanne.id and mine["shared"] is False
    assert mine["coaching"]["verdict"] in ("ok", "warn")
    shared = await create(
        lead,
        name="Retour",
        language="en",
        body="Hello {customer_name}, here is how to return it.",
        shared=True,
    )
    await create(piet, name="Piet's own")

    listed = await sanne.client.get(f"{API}/macros")
    assert [m["name"] for m in listed.json()] == ["Bestelling onderweg", "Retour"]
    english = await sanne.client.get(f"{API}/macros", params={"language": "en"})
    assert [m["id"] for m in english.json()] == [shared["id"]]


async def test_the_coachs_warnings_come_back_with_the_saved_macro(agent: Person) -> None:
    saved = await create(
        agent,
        body="Beste {customer_name}, dat is helaas niet mogelijk.",
    )
    kinds = [f["kind"] for f in saved["coaching"]["flags"]]
    assert "refusal_without_alternative" in kinds


async def test_an_insulting_macro_is_blocked_and_not_saved(agent: Person, db: Database) -> None:
    before = await snapshot(db)
    r = await agent.client.post(
        f"{API}/macros", json=macro(body="Beste {customer_name}, u bent echt een idioot.")
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "coach_blocked"
    assert "insult" in [f["kind"] for f in r.json()["coaching"]["flags"]]
    assert await snapshot(db) == before


async def test_an_unknown_placeholder_is_refused_at_save_naming_it(
    agent: Person, db: Database
) -> None:
    before = await snapshot(db)
    r = await agent.client.post(f"{API}/macros", json=macro(body="Beste {klantnaam}, hallo."))
    assert r.status_code == 422
    assert r.json()["field"] == "body"
    assert r.json()["unknown"] == ["klantnaam"]
    assert "{klantnaam}" in r.json()["detail"]
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ([{"type": "goodwill", "kind": "free_money", "amount_cents": 100, "reason": "x"}], "kind"),
        ([{"type": "goodwill", "kind": "refund", "amount_cents": -5, "reason": "x"}], "amount"),
        ([{"type": "tag", "tag": "niet goed!"}], "Tag"),
        ([{"type": "status", "status": "snoozed"}], "status"),
        ([{"type": "status", "status": "resolved", "when": "now"}], "when"),
        ([{"type": "mail"}], "type"),
        # Saved, it would fail at every send (no text Balie stores may hold a NUL).
        (
            [{"type": "goodwill", "kind": "refund", "amount_cents": 100, "reason": "La\x00t"}],
            "reason holds a NUL",
        ),
        ([{"type": "tag", "tag": "a\x00b"}], "NUL"),
    ],
)
async def test_bad_actions_are_refused_and_nothing_is_saved(
    agent: Person, db: Database, bad: list[Any], says: str
) -> None:
    before = await snapshot(db)
    r = await agent.client.post(f"{API}/macros", json=macro(actions=bad))
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "actions"
    assert says in r.json()["detail"]
    assert await snapshot(db) == before


async def test_only_leads_create_or_change_shared_macros(
    make_agent: MakeAgent, db: Database
) -> None:
    agent = await make_agent("agent", team=TEAM)
    lead = await make_agent("supervisor", team=TEAM)
    before = await snapshot(db)
    r = await agent.client.post(f"{API}/macros", json=macro(shared=True))
    assert r.status_code == 403
    assert await snapshot(db) == before

    shared = await create(lead, shared=True)
    before = await snapshot(db)
    r = await agent.client.put(f"{API}/macros/{shared['id']}", json=macro(name="Mijn versie"))
    assert r.status_code == 403
    r = await agent.client.delete(f"{API}/macros/{shared['id']}")
    assert r.status_code == 403
    assert await snapshot(db) == before

    r = await lead.client.put(f"{API}/macros/{shared['id']}", json=macro(name="Nieuwe naam"))
    assert r.status_code == 200 and r.json()["name"] == "Nieuwe naam"


async def test_someone_elses_personal_macro_is_not_found(
    make_agent: MakeAgent, db: Database
) -> None:
    owner = await make_agent("agent", team=TEAM)
    other = await make_agent("supervisor", team=TEAM)
    mine = await create(owner)
    before = await snapshot(db)
    assert (await other.client.put(f"{API}/macros/{mine['id']}", json=macro())).status_code == 404
    assert (await other.client.delete(f"{API}/macros/{mine['id']}")).status_code == 404
    assert await snapshot(db) == before

    assert (await owner.client.delete(f"{API}/macros/{mine['id']}")).status_code == 204
    assert (await owner.client.get(f"{API}/macros")).json() == []


# --- Applying --------------------------------------------------------------------------


async def test_rendering_for_the_composer_fills_in_this_customer_and_changes_nothing(
    make_agent: MakeAgent, db: Database
) -> None:
    agent = await make_agent("agent", name="Karin Smit", team=TEAM)
    conversation_id = await conversation_with_order(db)
    saved = await create(agent, body=GREETING)
    before = await snapshot(db)
    r = await agent.client.post(
        f"{API}/conversations/{conversation_id}/macros/{saved['id']}/apply", json={"send": False}
    )
    assert r.status_code == 200, r.text
    assert r.json()["text"] == (
        "Beste Sanne, uw bestelling A-2041 (Wasmachine WM-800) is onderweg. U kunt ons "
        "bereiken ma-vr 09:00-17:00. Met vriendelijke groet, Karin Smit"
    )
    assert r.json()["sent"] is False
    assert await snapshot(db) == before


async def test_a_placeholder_without_data_is_not_sent(agent: Person, db: Database) -> None:
    created = await agent.client.post(f"{API}/conversations", json=new_conversation())
    conversation_id = created.json()["id"]
    saved = await create(agent, body="Beste {customer_name}, uw order {order_reference}.")
    before = await snapshot(db)
    r = await agent.client.post(
        f"{API}/conversations/{conversation_id}/macros/{saved['id']}/apply", json={"send": True}
    )
    assert r.status_code == 422
    assert r.json()["missing"] == ["order_reference"]
    assert "{order_reference}" in r.json()["detail"]
    assert await snapshot(db) == before


async def test_sending_a_macro_replies_tags_and_resolves_in_one_go(
    make_agent: MakeAgent, db: Database
) -> None:
    agent = await make_agent("agent", team=TEAM)
    conversation_id = await conversation_with_order(db)
    saved = await create(
        agent,
        body="Beste {customer_first_name}, uw bestelling {order_reference} is vandaag "
        "verzonden. U ontvangt een track-and-trace code per e-mail.",
        actions=[
            {"type": "tag", "tag": "Verzonden"},
            {"type": "status", "status": "resolved"},
        ],
    )
    r = await agent.client.post(
        f"{API}/conversations/{conversation_id}/macros/{saved['id']}/apply", json={"send": True}
    )
    assert r.status_code == 200, r.text
    assert r.json()["actions"] == [
        {"type": "tag", "tag": "verzonden"},
        {"type": "status", "status": "resolved"},
    ]
    seen = await agent.client.get(f"{API}/conversations/{conversation_id}")
    assert seen.json()["status"] == "resolved"
    assert seen.json()["tags"] == ["levering", "verzonden"]
    reply = (await messages(db, conversation_id))[-1]
    assert reply.author_kind == "agent" and reply.author_agent_id == agent.id
    assert reply.text.startswith("Beste Sanne, uw bestelling A-2041 is vandaag verzonden.")
    assert reply.coaching is not None  # the coach read the rendered text


async def test_a_failing_action_takes_the_reply_back_too(
    make_agent: MakeAgent, db: Database
) -> None:
    agent = await make_agent("agent", team=TEAM)
    conversation_id = await conversation_with_order(db)
    patch = await agent.client.patch(
        f"{API}/conversations/{conversation_id}", json={"status": "resolved"}
    )
    assert patch.status_code == 200
    # A resolved conversation can only be reopened, never parked as pending.
    saved = await create(
        agent,
        body="Beste {customer_first_name}, we wachten op uw foto's van de schade.",
        actions=[{"type": "tag", "tag": "wacht-op-klant"}, {"type": "status", "status": "pending"}],
    )
    before = await snapshot(db)
    r = await agent.client.post(
        f"{API}/conversations/{conversation_id}/macros/{saved['id']}/apply", json={"send": True}
    )
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "illegal_transition"
    assert await snapshot(db) == before


async def test_the_coach_checks_the_rendered_text_too(make_agent: MakeAgent, db: Database) -> None:
    # The macro is fine; the customer's stored name, filled in, makes the reply an insult.
    agent = await make_agent("agent", team=TEAM)
    conversation_id = await conversation_with_order(db, name="Idioot")
    saved = await create(agent, body="Beste {customer_name}, uw pakket is onderweg.")
    before = await snapshot(db)
    r = await agent.client.post(
        f"{API}/conversations/{conversation_id}/macros/{saved['id']}/apply", json={"send": True}
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "coach_blocked"
    assert await snapshot(db) == before


async def test_a_macro_of_someone_else_cannot_be_applied(
    make_agent: MakeAgent, db: Database
) -> None:
    owner = await make_agent("agent", team=TEAM)
    other = await make_agent("agent", team=TEAM)
    conversation_id = await conversation_with_order(db)
    saved = await create(owner)
    r = await other.client.post(
        f"{API}/conversations/{conversation_id}/macros/{saved['id']}/apply", json={"send": False}
    )
    assert r.status_code == 404


async def test_goodwill_within_mandate_is_granted_and_above_it_waits_for_approval(
    make_agent: MakeAgent, db: Database
) -> None:
    agent = await make_agent("agent", team=TEAM)  # an agent's mandate is EUR 50 by default
    conversation_id = await conversation_with_order(db)
    small = await create(
        agent,
        name="Kleine vergoeding",
        body="Beste {customer_first_name}, we storten 15 euro terug als excuus.",
        actions=[{"type": "goodwill", "kind": "refund", "amount_cents": 1500, "reason": "Laat"}],
    )
    large = await create(
        agent,
        name="Grote vergoeding",
        body="Beste {customer_first_name}, we vergoeden de wasmachine.",
        actions=[{"type": "goodwill", "kind": "refund", "amount_cents": 60000, "reason": "Kapot"}],
    )
    url = f"{API}/conversations/{conversation_id}/macros"
    r = await agent.client.post(f"{url}/{small['id']}/apply", json={"send": True})
    assert r.status_code == 200, r.text
    assert r.json()["actions"][0]["status"] == "granted"
    r = await agent.client.post(f"{url}/{large['id']}/apply", json={"send": True})
    assert r.status_code == 200, r.text
    assert r.json()["actions"][0]["status"] == "pending_approval"


async def test_a_retried_send_replies_and_grants_goodwill_once(
    make_agent: MakeAgent, db: Database
) -> None:
    agent = await make_agent("agent", team=TEAM)
    conversation_id = await conversation_with_order(db)
    saved = await create(
        agent,
        name="Excuus",
        body="Beste {customer_first_name}, we storten 15 euro terug als excuus.",
        actions=[{"type": "goodwill", "kind": "refund", "amount_cents": 1500, "reason": "Laat"}],
    )
    url = f"{API}/conversations/{conversation_id}/macros/{saved['id']}/apply"
    body = {"send": True, "client_id": "send-1"}
    first = await agent.client.post(url, json=body)
    assert first.status_code == 200, first.text
    before = await snapshot(db)
    again = await agent.client.post(url, json=body)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()  # the first send's answer, the same goodwill id
    assert await snapshot(db) == before
    async with db.reading() as session:
        grants = list(
            await session.scalars(
                select(GoodwillAction).where(GoodwillAction.conversation_id == conversation_id)
            )
        )
    assert len(grants) == 1
    sent = (await agent.client.get(f"{API}/conversations/{conversation_id}/messages")).json()
    assert sum("15 euro terug" in m["text"] for m in sent) == 1


async def test_a_client_id_of_another_message_is_refused(
    make_agent: MakeAgent, db: Database
) -> None:
    agent = await make_agent("agent", team=TEAM)
    conversation_id = await conversation_with_order(db)
    reply = await agent.client.post(
        f"{API}/conversations/{conversation_id}/messages",
        json={"text": "Ik kijk het na.", "client_id": "reply-1"},
    )
    assert reply.status_code == 201, reply.text
    saved = await create(agent, name="Tag", body="Dank u.", actions=[{"type": "tag", "tag": "x"}])
    before = await snapshot(db)
    url = f"{API}/conversations/{conversation_id}/macros/{saved['id']}/apply"
    refused = await agent.client.post(url, json={"send": True, "client_id": "reply-1"})
    assert refused.status_code == 409 and "another message" in refused.json()["detail"]
    empty = await agent.client.post(url, json={"send": True, "client_id": ""})
    assert empty.status_code == 422
    assert await snapshot(db) == before


def test_a_nul_anywhere_in_a_macro_is_refused_at_save() -> None:
    from balie.macros.rules import BadMacro, clean_actions, clean_body, clean_name

    for call, value in ((clean_name, "Ex\x00cuus"), (clean_body, "Beste\x00 klant")):
        with pytest.raises(BadMacro, match="NUL"):
            call(value)
    with pytest.raises(BadMacro, match="NUL"):
        clean_actions([{"type": "status\x00", "status": "open"}])


async def test_a_macros_goodwill_has_the_same_maximum_as_goodwill_itself(
    agent: Person, db: Database
) -> None:
    from balie.policy.mandate import MAX_CENTS

    def action(cents: int) -> list[dict[str, Any]]:
        return [{"type": "goodwill", "kind": "replacement", "amount_cents": cents, "reason": "x"}]

    # 20,000 EUR: beyond an agent's mandate (it will wait for approval), not beyond goodwill.
    assert (
        await agent.client.post(f"{API}/macros", json=macro(actions=action(2_000_000)))
    ).status_code == 201
    before = await snapshot(db)
    r = await agent.client.post(f"{API}/macros", json=macro(actions=action(MAX_CENTS + 1)))
    assert r.status_code == 422 and str(MAX_CENTS) in r.json()["detail"]
    assert await snapshot(db) == before
