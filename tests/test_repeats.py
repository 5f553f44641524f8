"""Repeat issues end to end: the same customer coming back about the same order or
product for the third time within 180 days is flagged on the conversation, through the
API; older contacts, other products and other customers' orders do not count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import select

from balie.act import CLI, Act, utcnow
from balie.agents.actions import create_inbox, create_team
from balie.app import create_app
from balie.conversations import actions
from balie.customers.actions import customer_for_email
from balie.settings import Settings
from balie.store.database import Database
from balie.store.tables import AuditEvent
from tests.conftest import Person, new_conversation, snapshot

EMAIL = "sanne@example.nl"


async def product_and_order(
    person: Person, *, sku: str, reference: str, email: str = EMAIL
) -> dict[str, Any]:
    product = await person.client.post(
        "/api/v1/products", json={"sku": sku, "name": f"Wasmachine {sku}", "warranty_months": 24}
    )
    assert product.status_code == 201, product.text
    order = await person.client.post(
        "/api/v1/orders",
        json={
            "reference": reference,
            "customer_email": email,
            "customer_name": "Sanne de Vries",
            "product_sku": sku,
            "purchase_date": "2026-03-01",
        },
    )
    assert order.status_code == 201, order.text
    body: dict[str, Any] = order.json()
    return body


async def earlier_contact(
    db: Database, days_ago: int, *, order_id: int | None = None, email: str = EMAIL
) -> int:
    """A conversation the customer started ``days_ago`` days ago."""
    async with db.writing() as session:
        act = Act(session, CLI, utcnow() - dt.timedelta(days=days_ago))
        customer = await customer_for_email(act, email=email, name="Sanne de Vries")
        conversation, _ = await actions.create_conversation(
            act,
            customer=customer,
            subject=f"Wasmachine lekt weer ({days_ago} dagen geleden)",
            text="Mijn wasmachine lekt alweer.",
            order_id=order_id,
        )
        return conversation.id


async def open_via_api(person: Person, **over: Any) -> dict[str, Any]:
    created = await person.client.post("/api/v1/conversations", json=new_conversation(**over))
    assert created.status_code == 201, created.text
    shown = await person.client.get(f"/api/v1/conversations/{created.json()['id']}")
    body: dict[str, Any] = shown.json()
    return body


async def test_the_third_contact_about_one_order_within_180_days_is_a_repeat(
    agent: Person, db: Database
) -> None:
    order = await product_and_order(agent, sku="WM-1", reference="B-1001")
    first = await earlier_contact(db, 150, order_id=order["id"])
    second = await earlier_contact(db, 30, order_id=order["id"])

    third = await open_via_api(agent, order_id=order["id"])

    assert third["repeat"] is True
    assert third["product_id"] == order["product_id"]  # taken from the order
    async with db.reading() as session:
        event = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "conversation.repeat",
                AuditEvent.target == f"conversation:{third['id']}",
            )
        )
    assert event is not None and event.after is not None
    assert event.after["earlier"] == [first, second]
    # The first two were not repeats when they came in.
    for earlier in (first, second):
        shown = await agent.client.get(f"/api/v1/conversations/{earlier}")
        assert shown.json()["repeat"] is False


async def test_a_contact_after_the_window_has_passed_is_not_a_repeat(
    agent: Person, db: Database
) -> None:
    order = await product_and_order(agent, sku="WM-2", reference="B-2002")
    for days_ago in (400, 390, 380):  # a repeat back then, long ago now
        await earlier_contact(db, days_ago, order_id=order["id"])

    fourth = await open_via_api(agent, order_id=order["id"])

    assert fourth["repeat"] is False


async def test_a_second_order_of_the_same_product_counts_and_another_product_does_not(
    agent: Person, db: Database
) -> None:
    machine = await product_and_order(agent, sku="WM-3", reference="B-3003")
    replacement = await agent.client.post(
        "/api/v1/orders",
        json={
            "reference": "B-3004",
            "customer_email": EMAIL,
            "product_sku": "WM-3",
            "purchase_date": "2026-06-01",
        },
    )
    dryer = await product_and_order(agent, sku="DR-1", reference="B-3005")
    await earlier_contact(db, 100, order_id=machine["id"])
    await earlier_contact(db, 50, order_id=machine["id"])
    await earlier_contact(db, 20, order_id=dryer["id"])

    about_dryer = await open_via_api(agent, order_id=dryer["id"])
    about_replacement = await open_via_api(agent, order_id=replacement.json()["id"])

    assert about_dryer["repeat"] is False  # two contacts about the dryer
    assert about_replacement["repeat"] is True  # the third about this washing machine


async def test_another_customer_about_the_same_product_is_no_repeat(
    agent: Person, db: Database
) -> None:
    order = await product_and_order(agent, sku="WM-4", reference="B-4004")
    other = await product_and_order(agent, sku="WM-5", reference="B-4005", email="jan@example.nl")
    await earlier_contact(db, 10, order_id=other["id"], email="jan@example.nl")
    await earlier_contact(db, 5, order_id=other["id"], email="jan@example.nl")
    await earlier_contact(db, 3, order_id=order["id"])

    shown = await open_via_api(agent, order_id=order["id"])

    assert shown["repeat"] is False


async def test_saying_what_a_conversation_is_about_flags_it_and_clearing_unflags(
    agent: Person, db: Database
) -> None:
    order = await product_and_order(agent, sku="WM-6", reference="B-6006")
    await earlier_contact(db, 60, order_id=order["id"])
    await earlier_contact(db, 6, order_id=order["id"])
    plain = await open_via_api(agent)
    assert plain["repeat"] is False

    about = await agent.client.post(
        f"/api/v1/conversations/{plain['id']}/about",
        json={"order_id": order["id"], "product_id": None},
    )
    assert about.status_code == 200, about.text
    assert about.json()["repeat"] is True
    assert about.json()["order_id"] == order["id"]
    assert about.json()["product_id"] == order["product_id"]

    cleared = await agent.client.post(
        f"/api/v1/conversations/{plain['id']}/about", json={"order_id": None, "product_id": None}
    )
    assert cleared.json()["repeat"] is False
    shown = await agent.client.get(f"/api/v1/conversations/{plain['id']}")
    assert (shown.json()["order_id"], shown.json()["product_id"], shown.json()["repeat"]) == (
        None,
        None,
        False,
    )


async def test_naming_only_the_product_is_enough(agent: Person, db: Database) -> None:
    order = await product_and_order(agent, sku="WM-7", reference="B-7007")
    await earlier_contact(db, 60, order_id=order["id"])
    await earlier_contact(db, 6, order_id=order["id"])
    plain = await open_via_api(agent)

    about = await agent.client.post(
        f"/api/v1/conversations/{plain['id']}/about",
        json={"order_id": None, "product_id": order["product_id"]},
    )

    assert about.status_code == 200, about.text
    assert about.json()["repeat"] is True
    assert about.json()["order_id"] is None


async def test_bad_about_requests_are_refused_and_change_nothing(
    agent: Person, db: Database
) -> None:
    mine = await product_and_order(agent, sku="WM-8", reference="B-8008")
    theirs = await product_and_order(agent, sku="WM-9", reference="B-8009", email="jan@example.nl")
    conversation = await open_via_api(agent)
    url = f"/api/v1/conversations/{conversation['id']}/about"
    before = await snapshot(db)

    cases: list[tuple[Any, int, str]] = [
        ({"order_id": theirs["id"], "product_id": None}, 404, "order_id"),
        ({"order_id": 999_999, "product_id": None}, 404, "order_id"),
        ({"order_id": None, "product_id": 999_999}, 404, "product_id"),
        ({"order_id": mine["id"], "product_id": theirs["product_id"]}, 422, "product_id"),
        ({"order_id": 0, "product_id": None}, 422, "order_id"),
        ({"order_id": None}, 422, "product_id"),
        ({"order_id": None, "product_id": None, "repeat": True}, 422, "repeat"),
    ]
    for body, status, field in cases:
        refused = await agent.client.post(url, json=body)
        assert refused.status_code == status, (body, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert field in refused.text, (body, refused.text)

    missing = await agent.client.post(
        "/api/v1/conversations/999999/about", json={"order_id": None, "product_id": None}
    )
    assert missing.status_code == 404
    assert await snapshot(db) == before


async def test_an_agent_cannot_set_the_subject_of_a_conversation_they_cannot_see(
    make_agent: Any, db: Database
) -> None:
    outsider = await make_agent("agent", team="Elders")
    lead = await make_agent("supervisor")
    async with db.writing() as session:
        act = Act(session, CLI, utcnow())
        team = await create_team(act, name="Wassen")
        inbox = await create_inbox(
            act, team_id=team.id, name="Was", channel="email", address="was@shop.example"
        )
    conversation = await open_via_api(lead, inbox_id=inbox.id)
    before = await snapshot(db)

    refused = await outsider.client.post(
        f"/api/v1/conversations/{conversation['id']}/about",
        json={"order_id": None, "product_id": None},
    )

    assert refused.status_code == 404
    assert await snapshot(db) == before


async def test_the_count_and_window_come_from_the_settings(
    settings: Settings, db: Database, make_agent: Any
) -> None:
    strict = create_app(settings.model_copy(update={"repeat_count": 2}), db)
    transport = httpx.ASGITransport(app=strict)
    person = await make_agent("agent")
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://balie.test",
        headers={"Authorization": f"Bearer {person.token}"},
    ) as client:
        order = await product_and_order(
            Person(person.id, person.email, person.role, None, client, person.token),
            sku="WM-10",
            reference="B-1010",
        )
        await earlier_contact(db, 90, order_id=order["id"])
        created = await client.post(
            "/api/v1/conversations", json=new_conversation(order_id=order["id"])
        )
    assert created.json()["repeat"] is True  # the second contact is enough here


async def repeat_flags(agent: Person, *ids: int) -> list[bool]:
    flags = []
    for cid in ids:
        shown = await agent.client.get(f"/api/v1/conversations/{cid}")
        assert shown.status_code == 200, shown.text
        flags.append(shown.json()["repeat"])
    return flags


async def about(agent: Person, cid: int, order_id: int | None) -> None:
    r = await agent.client.post(
        f"/api/v1/conversations/{cid}/about", json={"order_id": order_id, "product_id": None}
    )
    assert r.status_code == 200, r.text


async def test_labelling_newest_first_flags_the_third_and_clearing_the_first_unflags_it(
    agent: Person, db: Database
) -> None:
    order = await product_and_order(agent, sku="WM-12", reference="B-1212")
    oldest = await earlier_contact(db, 60)
    middle = await earlier_contact(db, 30)
    newest = (await open_via_api(agent))["id"]

    # The agents find out what each was about newest first.
    await about(agent, newest, order["id"])
    await about(agent, middle, order["id"])
    assert await repeat_flags(agent, oldest, middle, newest) == [False, False, False]
    await about(agent, oldest, order["id"])
    # The third contact about the washer is a repeat, whichever was labelled last.
    assert await repeat_flags(agent, oldest, middle, newest) == [False, False, True]

    # The oldest turns out to be about something else: the newest is only the second.
    await about(agent, oldest, None)
    assert await repeat_flags(agent, oldest, middle, newest) == [False, False, False]
    async with db.reading() as session:
        audited = list(
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "conversation.repeat")
                .order_by(AuditEvent.id)
            )
        )
    assert [(e.target, e.after["repeat"]) for e in audited] == [
        (f"conversation:{newest}", True),
        (f"conversation:{newest}", False),
    ]
    assert audited[0].after["earlier"] == [oldest, middle]
