"""Replies land in their conversation: by Message-ID, by the signed reply address, by
subject and sender; a new subject opens a new conversation."""

from __future__ import annotations

import pytest

from balie.email.addressing import reply_address
from balie.email.parse import parse
from balie.store.database import Database
from tests.conftest import Person
from tests.email_corpus import reply_chain
from tests.email_fixtures import (
    Receiver,
    conversations,
    deliver,
    email_inbox,
    messages,
    outbox,
    receiver,
    team_agent,
)
from tests.mail_support import mail

__all__ = ["email_inbox", "receiver", "team_agent"]


async def _reply_from_agent(team_agent: Person, conversation_id: int, text: str) -> None:
    response = await team_agent.client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"text": text}
    )
    assert response.status_code == 201, response.text


async def test_reply_to_our_mail_by_message_id(
    db: Database, receiver: Receiver, team_agent: Person
) -> None:
    await deliver(receiver.port, mail(message_id="<q1@example.nl>"))
    [conversation] = await conversations(db)
    await _reply_from_agent(
        team_agent, conversation.id, "Goedemorgen Sanne, we sturen een monteur."
    )
    ours = next(m for m in await outbox(db) if m.purpose == "reply")
    # The customer's client keeps In-Reply-To but changes the subject entirely.
    await deliver(
        receiver.port,
        mail(subject="Monteur", text="Dank u, dinsdag past.", in_reply_to=ours.header_id),
    )
    assert len(await conversations(db)) == 1
    texts = [m.text for m in await messages(db, conversation.id)]
    assert texts[-1] == "Dank u, dinsdag past."


async def test_reply_with_references_only(db: Database, receiver: Receiver) -> None:
    await deliver(receiver.port, mail(message_id="<first@example.nl>", subject="Retour"))
    await deliver(
        receiver.port,
        mail(subject="Nog iets", text="En de bon?", references="<first@example.nl>"),
    )
    assert len(await conversations(db)) == 1


async def test_reply_to_the_reply_address_without_headers(db: Database, receiver: Receiver) -> None:
    await deliver(receiver.port, mail(subject="Bestelling 1001"))
    [conversation] = await conversations(db)
    token_address = reply_address("support@shop.example", receiver.inbox.secret, conversation.id)
    await deliver(
        receiver.port,
        mail(to=token_address, subject="iets heel anders", text="Hier is de foto."),
        to=[token_address],
    )
    assert len(await conversations(db)) == 1
    assert len(await messages(db, conversation.id)) == 2


async def test_a_guessed_token_opens_a_new_conversation(db: Database, receiver: Receiver) -> None:
    await deliver(receiver.port, mail(sender="a@example.nl", subject="Mijn vraag"))
    [conversation] = await conversations(db)
    forged = f"support+c{conversation.id}-aaaaaaaaaa@shop.example"
    await deliver(
        receiver.port, mail(sender="b@example.nl", to=forged, subject="Inbraak"), to=[forged]
    )
    assert len(await conversations(db)) == 2


async def test_same_subject_same_sender_joins_a_new_subject_does_not(
    db: Database, receiver: Receiver
) -> None:
    await deliver(receiver.port, mail(subject="Wasmachine lekt"))
    await deliver(receiver.port, mail(subject="Re: Wasmachine lekt", text="Nog steeds."))
    await deliver(receiver.port, mail(subject="AW: RE: wasmachine   lekt", text="Hallo?"))
    assert len(await conversations(db)) == 1
    await deliver(receiver.port, mail(subject="Factuur", text="Andere vraag."))
    await deliver(receiver.port, mail(sender="ander@example.nl", subject="Wasmachine lekt"))
    assert len(await conversations(db)) == 3


async def test_a_customer_writing_again_reopens_but_an_out_of_office_does_not(
    db: Database, receiver: Receiver, team_agent: Person
) -> None:
    await deliver(receiver.port, mail(message_id="<open-1@example.nl>"))
    [conversation] = await conversations(db)
    resolved = await team_agent.client.patch(
        f"/api/v1/conversations/{conversation.id}", json={"status": "resolved"}
    )
    assert resolved.status_code == 200, resolved.text
    await deliver(
        receiver.port,
        mail(
            subject="Automatisch antwoord: Wasmachine lekt",
            text="Ik ben afwezig tot maandag.",
            in_reply_to="<open-1@example.nl>",
            headers={"Auto-Submitted": "auto-replied"},
        ),
    )
    [still] = await conversations(db)
    assert still.status == "resolved"
    await deliver(receiver.port, mail(text="Het lekt weer!", in_reply_to="<open-1@example.nl>"))
    [reopened] = await conversations(db)
    assert reopened.status == "open"


@pytest.mark.parametrize("style", ["full", "in_reply_to_only", "references_broken", "outlook"])
async def test_reply_chains_from_real_world_clients_stay_in_one_conversation(
    db: Database, receiver: Receiver, style: str
) -> None:
    # The chain goes back and forth with support@shop.example; Balie receives the
    # customer's side, each answering a mail of the other side it never stored.
    chain = [
        raw
        for raw in reply_chain(6, seed=11, style=style)
        if parse(raw).from_address != "support@shop.example"
    ]
    assert len(chain) >= 3
    for raw in chain:
        await deliver(receiver.port, raw)
    [conversation] = await conversations(db)
    assert len(await messages(db, conversation.id)) == len(chain)
