"""Products, orders and the order import through the real API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from balie.orders.csv_import import parse_orders
from balie.orders.warranty import warranty_end
from balie.store.database import Database
from balie.store.tables import AuditEvent
from tests.conftest import Person, new_conversation, snapshot

API = "/api/v1"
PROBLEM = "application/problem+json"
HEADER = (
    "reference,customer_email,customer_name,product_sku,product_name,purchase_date,warranty_months"
)
EXPORT = f"""{HEADER}
B-2001,sanne@example.nl,Sanne de Vries,WM-800,Wasmachine 800,2025-03-14,24
B-2002,piet@example.com,Piet Jansen,WM-800,,2025-04-01,
B-2003,SANNE@example.nl,,DR-100,Droger 100,2025-05-20,12
"""


async def _product(person: Person, sku: str = "WM-800", months: int = 24) -> dict[str, Any]:
    r = await person.client.post(
        f"{API}/products", json={"sku": sku, "name": f"Apparaat {sku}", "warranty_months": months}
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_an_order_takes_the_warranty_of_its_product_unless_told_otherwise(
    agent: Person,
) -> None:
    await _product(agent, months=24)

    default = await agent.client.post(
        f"{API}/orders",
        json={
            "reference": "B-1",
            "customer_email": "sanne@example.nl",
            "customer_name": "Sanne de Vries",
            "product_sku": "WM-800",
            "purchase_date": "2025-01-31",
        },
    )
    extended = await agent.client.post(
        f"{API}/orders",
        json={
            "reference": "B-2",
            "customer_id": default.json()["customer_id"],
            "product_sku": "WM-800",
            "purchase_date": "2025-01-31",
            "warranty_months": 61,
        },
    )

    assert default.status_code == 201, default.text
    assert default.json()["warranty_months"] == 24
    assert default.json()["warranty_ends"] == "2027-01-31"
    assert extended.status_code == 201, extended.text
    assert extended.json()["warranty_ends"] == "2030-02-28"
    assert extended.json()["customer_id"] == default.json()["customer_id"]


async def test_listing_orders_of_one_customer_page_by_page(agent: Person) -> None:
    await _product(agent)
    for n in range(5):
        email = "sanne@example.nl" if n % 2 == 0 else "piet@example.com"
        r = await agent.client.post(
            f"{API}/orders",
            json={
                "reference": f"B-{n}",
                "customer_email": email,
                "product_sku": "WM-800",
                "purchase_date": "2025-06-01",
            },
        )
        assert r.status_code == 201, r.text
    sanne = await agent.client.get(f"{API}/customers", params={"email": "sanne@example.nl"})
    customer_id = sanne.json()["items"][0]["id"]

    seen: list[str] = []
    params: dict[str, Any] = {"customer_id": customer_id, "limit": 2}
    while True:
        page = (await agent.client.get(f"{API}/orders", params=params)).json()
        seen += [o["reference"] for o in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]

    assert seen == ["B-4", "B-2", "B-0"]
    everything = (await agent.client.get(f"{API}/orders", params={"limit": 100})).json()
    assert len(everything["items"]) == 5 and everything["next_cursor"] is None


async def test_products_are_listed_by_sku(agent: Person) -> None:
    await _product(agent, "ZZ-1")
    await _product(agent, "AA-1")

    r = await agent.client.get(f"{API}/products")

    assert [p["sku"] for p in r.json()] == ["AA-1", "ZZ-1"]


async def test_a_supervisor_imports_an_order_export(supervisor: Person, db: Database) -> None:
    r = await supervisor.client.post(
        f"{API}/orders/import", content=EXPORT, headers={"content-type": "text/csv"}
    )

    assert r.status_code == 200, r.text
    assert r.json() == {"orders": 3, "customers_created": 2, "products_created": 2}
    sanne = await supervisor.client.get(f"{API}/customers", params={"email": "sanne@example.nl"})
    profile = await supervisor.client.get(f"{API}/customers/{sanne.json()['items'][0]['id']}")
    assert [
        (o["reference"], o["product_name"], o["warranty_ends"]) for o in profile.json()["orders"]
    ] == [
        ("B-2003", "Droger 100", "2026-05-20"),
        ("B-2001", "Wasmachine 800", "2027-03-14"),
    ]
    async with db.reading() as session:
        actions = list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert actions.count("order.create") == 3
    assert actions.count("product.create") == 2
    assert actions[-1] == "order.import"


async def test_an_import_accepts_a_multipart_upload_with_semicolons(
    supervisor: Person, db: Database
) -> None:
    await _product(supervisor, "WM-800")
    dutch_excel = "\ufeff" + EXPORT.replace(",", ";").splitlines()[0] + "\r\n"
    dutch_excel += "B-9;klant@example.nl;Klant;WM-800;;2025-03-14;\r\n"

    r = await supervisor.client.post(
        f"{API}/orders/import",
        files={"file": ("orders.csv", dutch_excel.encode(), "text/csv")},
    )

    assert r.status_code == 200, r.text
    assert r.json() == {"orders": 1, "customers_created": 1, "products_created": 0}


async def test_one_bad_row_imports_nothing_and_names_the_row(
    supervisor: Person, db: Database
) -> None:
    bad = EXPORT + "B-2004,geen-adres,,WM-800,,2025-13-01,\n"
    before = await snapshot(db)

    r = await supervisor.client.post(
        f"{API}/orders/import", content=bad, headers={"content-type": "text/csv"}
    )

    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM
    problem = r.json()
    assert "rows 5" in problem["detail"] and "nothing was imported" in problem["detail"]
    assert {(p["row"], p["column"]) for p in problem["problems"]} == {
        (5, "customer_email"),
        (5, "purchase_date"),
    }
    assert await snapshot(db) == before


async def test_an_import_refuses_references_that_exist_already(
    supervisor: Person, db: Database
) -> None:
    await _product(supervisor, "WM-800")
    r = await supervisor.client.post(
        f"{API}/orders",
        json={
            "reference": "B-2002",
            "customer_email": "x@example.nl",
            "product_sku": "WM-800",
            "purchase_date": "2025-01-01",
        },
    )
    assert r.status_code == 201
    twice = EXPORT + "B-2001,ander@example.nl,,WM-800,,2025-01-01,\n"
    before = await snapshot(db)

    r = await supervisor.client.post(
        f"{API}/orders/import", content=twice, headers={"content-type": "text/csv"}
    )

    assert r.status_code == 422
    assert [(p["row"], p["column"]) for p in r.json()["problems"]] == [
        (3, "reference"),
        (5, "reference"),
    ]
    assert "already used in row 2" in r.json()["problems"][1]["reason"]
    assert await snapshot(db) == before


async def test_an_agent_may_not_import(agent: Person, db: Database) -> None:
    before = await snapshot(db)

    r = await agent.client.post(
        f"{API}/orders/import", content=EXPORT, headers={"content-type": "text/csv"}
    )

    assert r.status_code == 403
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("content", "content_type", "status", "reason"),
    [
        ("", "text/csv", 422, "header"),
        (HEADER + "\n", "text/csv", 422, "no orders"),
        ("ref,mail\nB-1,a@example.nl\n", "text/csv", 422, "missing reference"),
        (HEADER + ",colour\n", "text/csv", 422, "unknown colour"),
        (HEADER + '\nB-1,a@example.nl,"Ann,WM-800\n', "text/csv", 422, "CSV"),
        (HEADER + "\nB-1,a@example.nl\n", "text/csv", 422, "Expected 7 cells"),
        (HEADER + "\nB-1,a@example.nl,,NEW-1,,2025-01-01,\n", "text/csv", 422, "product_name"),
        (HEADER + "\nB-1,a@example.nl,,NEW-1,New,2025-01-01,\n", "text/csv", 422, "warranty"),
        (HEADER + "\nB-1,a@example.nl,,WM-800,,2099-01-01,\n", "text/csv", 422, "future"),
        (HEADER + "\nB-1,a@example.nl,,WM-800,,01-02-2025,\n", "text/csv", 422, "look like"),
        (HEADER + "\nB-1,a@example.nl,,WM 800,,2025-01-01,\n", "text/csv", 422, "SKU"),
        (HEADER + "\nB-1,a@example.nl,,WM-800,,2025-01-01,-3\n", "text/csv", 422, "whole"),
        (HEADER + "\nB-1,a@example.nl,,WM-800,,2025-01-01,999\n", "text/csv", 422, "0 to 240"),
        ('{"orders": []}', "application/json", 415, "text/csv"),
    ],
)
async def test_bad_imports_get_a_problem_and_change_nothing(
    supervisor: Person, db: Database, content: str, content_type: str, status: int, reason: str
) -> None:
    await _product(supervisor, "WM-800")
    before = await snapshot(db)

    r = await supervisor.client.post(
        f"{API}/orders/import", content=content.encode(), headers={"content-type": content_type}
    )

    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    problem = r.json()
    reasons = [problem["detail"]] + [p["reason"] for p in problem.get("problems", [])]
    assert any(reason in text for text in reasons), problem
    assert await snapshot(db) == before


async def test_a_file_that_is_not_utf8_is_refused(supervisor: Person, db: Database) -> None:
    before = await snapshot(db)
    latin1 = (HEADER + "\nB-1,a@example.nl,Zoë,WM-800,Wasser,2025-01-01,12\n").encode("latin-1")

    r = await supervisor.client.post(
        f"{API}/orders/import", content=latin1, headers={"content-type": "text/csv"}
    )

    assert r.status_code == 422 and "UTF-8" in r.json()["detail"]
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/products", {"sku": "X", "name": "X", "warranty_months": 12, "price": 1}, 422, "price"),
        ("/products", {"sku": "WM-800", "name": "Twee", "warranty_months": 12}, 409, "sku"),
        ("/products", {"sku": "A B", "name": "Spatie", "warranty_months": 12}, 422, "sku"),
        ("/products", {"sku": "A", "name": "Lang", "warranty_months": 241}, 422, "warranty"),
        (
            "/orders",
            {
                "reference": "B-1",
                "customer_id": 999999,
                "product_sku": "WM-800",
                "purchase_date": "2025-01-01",
            },
            404,
            None,
        ),
        (
            "/orders",
            {
                "reference": "B-1",
                "customer_email": "a@example.nl",
                "product_sku": "NOPE",
                "purchase_date": "2025-01-01",
            },
            404,
            "product_sku",
        ),
        (
            "/orders",
            {
                "reference": "B-1",
                "customer_email": "a@example.nl",
                "product_sku": "WM-800",
                "purchase_date": "2025-02-30",
            },
            422,
            "purchase_date",
        ),
        (
            "/orders",
            {
                "reference": "B-1",
                "customer_email": "a@example.nl",
                "product_sku": "WM-800",
                "purchase_date": "2099-01-01",
            },
            422,
            "purchase_date",
        ),
        (
            "/orders",
            {"reference": "B-1", "product_sku": "WM-800", "purchase_date": "2025-01-01"},
            422,
            "customer_id",
        ),
        (
            "/orders",
            {
                "reference": "B-1",
                "customer_email": "a@example.nl",
                "customer_id": 1,
                "product_sku": "WM-800",
                "purchase_date": "2025-01-01",
            },
            422,
            "customer_id",
        ),
        (
            "/orders",
            {
                "reference": "B-0",
                "customer_email": "a@example.nl",
                "product_sku": "WM-800",
                "purchase_date": "2025-01-01",
            },
            409,
            "reference",
        ),
        (
            "/orders",
            {
                "reference": "B-1",
                "customer_email": "a@example.nl",
                "product_sku": "WM-800",
                "purchase_date": "2025-01-01",
                "qty": 2,
            },
            422,
            "qty",
        ),
    ],
)
async def test_bad_product_and_order_requests_change_nothing(
    agent: Person, db: Database, path: str, body: dict[str, Any], status: int, field: str | None
) -> None:
    await _product(agent, "WM-800")
    r = await agent.client.post(
        f"{API}/orders",
        json={
            "reference": "B-0",
            "customer_email": "sanne@example.nl",
            "product_sku": "WM-800",
            "purchase_date": "2025-01-01",
        },
    )
    assert r.status_code == 201
    before = await snapshot(db)

    r = await agent.client.post(API + path, json=body)

    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    problem = r.json()
    if field is not None:
        fields = [problem.get("field")] + [e["field"] for e in problem.get("errors", [])]
        assert any(f and field in f for f in fields), problem
    assert await snapshot(db) == before


async def test_orders_move_with_a_merged_customer(agent: Person, supervisor: Person) -> None:
    await _product(agent)
    first = await agent.client.post(f"{API}/conversations", json=new_conversation())
    for ref, email in (("B-1", "sanne@example.nl"), ("B-2", "sanne@werk.nl")):
        r = await agent.client.post(
            f"{API}/orders",
            json={
                "reference": ref,
                "customer_email": email,
                "product_sku": "WM-800",
                "purchase_date": "2025-01-01",
            },
        )
        assert r.status_code == 201
    into = first.json()["customer_id"]
    other = await agent.client.get(f"{API}/customers", params={"email": "sanne@werk.nl"})
    other_id = other.json()["items"][0]["id"]

    r = await supervisor.client.post(f"{API}/customers/{into}/merge", json={"other_id": other_id})

    assert sorted(o["reference"] for o in r.json()["orders"]) == ["B-1", "B-2"]
    listed = (await agent.client.get(f"{API}/orders", params={"customer_id": into})).json()
    assert len(listed["items"]) == 2


def test_warranty_ends_on_the_same_day_or_the_end_of_a_shorter_month() -> None:
    assert warranty_end(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert warranty_end(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert warranty_end(dt.date(2025, 11, 15), 2) == dt.date(2026, 1, 15)
    assert warranty_end(dt.date(2025, 6, 1), 0) == dt.date(2025, 6, 1)
    assert warranty_end(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)


def test_the_parser_reports_every_bad_row_with_spreadsheet_row_numbers() -> None:
    content = (
        HEADER
        + "\nB-1,a@example.nl,,X,,2025-01-01,\n"
        + "\nB-2,b,,X,,2025-01-01,\n"
        + "B-1,c@example.nl,,X,,2025-01-01,\n"
    )

    parsed = parse_orders(content, today=dt.date(2026, 1, 1))

    assert [r.reference for r in parsed.rows] == ["B-1"]
    assert [(p.row, p.column) for p in parsed.problems] == [(4, "customer_email"), (5, "reference")]
