"""The audit log is a hash chain: any edit, deletion, insertion or reordering is found."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text

from balie.audit import verify
from balie.audit.chain import GENESIS, Entry, entry_hash, find_break
from balie.store.database import Database
from balie.store.tables import AuditEvent
from tests.conftest import Person, new_conversation


async def _busy_conversation(agent: Person) -> None:
    r = await agent.client.post("/api/v1/conversations", json=new_conversation())
    cid = r.json()["id"]
    for n in range(3):
        await agent.client.post(
            f"/api/v1/conversations/{cid}/messages", json={"text": f"Antwoord {n}"}
        )
    await agent.client.patch(f"/api/v1/conversations/{cid}", json={"status": "resolved"})


async def _verify(db: Database) -> tuple[int, object]:
    async with db.reading() as session:
        return await verify(session)


async def _sql(db: Database, statement: str, **params: object) -> None:
    async with db.writing() as session:
        await session.execute(text(statement), params)


async def test_every_change_is_recorded_with_actor_and_before_after(
    db: Database, agent: Person
) -> None:
    await _busy_conversation(agent)
    async with db.reading() as session:
        events = list(await session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    actions = [e.action for e in events]
    assert actions.count("message.create") == 4
    status = next(e for e in events if e.action == "conversation.status")
    assert status.actor == f"agent:{agent.id}"
    assert (status.before or {})["status"] == "open"
    assert (status.after or {})["status"] == "resolved"
    assert await _verify(db) == (len(events), None)


async def test_an_edited_entry_is_found(db: Database, agent: Person) -> None:
    await _busy_conversation(agent)
    await _sql(db, "UPDATE audit_events SET actor = 'agent:999' WHERE seq = 4")
    _, problem = await _verify(db)
    assert problem is not None and problem.seq == 4 and "altered" in problem.reason


async def test_a_deleted_entry_is_found(db: Database, agent: Person) -> None:
    await _busy_conversation(agent)
    await _sql(db, "DELETE FROM audit_events WHERE seq = 3")
    _, problem = await _verify(db)
    assert problem is not None and problem.seq == 3 and "missing" in problem.reason


async def test_a_deleted_last_entry_is_found(db: Database, agent: Person) -> None:
    await _busy_conversation(agent)
    checked, _ = await _verify(db)
    await _sql(db, "DELETE FROM audit_events WHERE seq = :s", s=checked)
    _, problem = await _verify(db)
    assert problem is not None and problem.seq == checked


async def test_an_inserted_entry_is_found(db: Database, agent: Person) -> None:
    await _busy_conversation(agent)
    # Make room after entry 2 and insert a forged entry that links to entry 2 correctly.
    async with db.writing() as session:
        second = await session.scalar(select(AuditEvent).where(AuditEvent.seq == 2))
        assert second is not None
        await session.execute(text("UPDATE audit_events SET seq = seq + 1000 WHERE seq > 2"))
        await session.execute(text("UPDATE audit_events SET seq = seq - 999 WHERE seq > 1000"))
        at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        forged = dict(
            seq=3,
            at=at,
            actor="agent:1",
            action="customer.update",
            target="customer:1",
            before=None,
            after={"notes": "forged"},
            prev_hash=second.hash,
        )
        session.add(AuditEvent(**forged, hash=entry_hash(**forged)))
    _, problem = await _verify(db)
    assert problem is not None and problem.seq == 4


async def test_reordered_entries_are_found(db: Database, agent: Person) -> None:
    await _busy_conversation(agent)
    await _sql(db, "UPDATE audit_events SET seq = -1 WHERE seq = 5")
    await _sql(db, "UPDATE audit_events SET seq = 5 WHERE seq = 6")
    await _sql(db, "UPDATE audit_events SET seq = 6 WHERE seq = -1")
    _, problem = await _verify(db)
    assert problem is not None and problem.seq == 5


def _chain(n: int) -> list[Entry]:
    entries, prev = [], GENESIS
    for seq in range(1, n + 1):
        fields = dict(
            seq=seq,
            at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seq),
            actor="agent:1",
            action="x",
            target=f"t:{seq}",
            before=None,
            after={"n": seq},
        )
        digest = entry_hash(prev_hash=prev, **fields)  # type: ignore[arg-type]
        entries.append(Entry(**fields, prev_hash=prev, hash=digest))  # type: ignore[arg-type]
        prev = digest
    return entries


@given(n=st.integers(2, 12), data=st.data())
def test_any_single_tampering_breaks_the_chain(n: int, data: st.DataObject) -> None:
    entries = _chain(n)
    head = (entries[-1].seq, entries[-1].hash)
    assert find_break(entries, head_seq=head[0], head_hash=head[1]) is None
    i = data.draw(st.integers(0, n - 1))
    how = data.draw(st.sampled_from(["edit", "delete", "swap"]))
    tampered = list(entries)
    if how == "edit":
        e = tampered[i]
        tampered[i] = Entry(**{**e.__dict__, "after": {"n": -1}})
    elif how == "delete":
        del tampered[i]
    else:
        j = (i + 1) % n
        tampered[i], tampered[j] = tampered[j], tampered[i]
    assert find_break(tampered, head_seq=head[0], head_hash=head[1]) is not None
