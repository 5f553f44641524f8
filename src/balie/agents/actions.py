"""Actions on agents and their credentials."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from balie.act import Act
from balie.addresses import normalise_email
from balie.agents.passwords import hash_password
from balie.agents.roles import DEFAULT_MANDATE_CENTS, ROLES
from balie.agents.tokens import new_token, token_digest
from balie.errors import Conflict, InvalidInput, NotFound
from balie.store.tables import Agent, ApiToken, Inbox, Team

LANGUAGES = ("nl", "en")
MIN_PASSWORD = 10


def _snapshot(agent: Agent) -> dict[str, object]:
    return {
        "email": agent.email,
        "name": agent.name,
        "role": agent.role,
        "language": agent.language,
        "mandate_limit_cents": agent.mandate_limit_cents,
        "team_id": agent.team_id,
        "active": agent.active,
    }


async def create_team(act: Act, *, name: str) -> Team:
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("A team needs a name of 1 to 100 characters.", field="name")
    if await act.session.scalar(select(Team.id).where(Team.name == name)):
        raise Conflict(f"A team named {name!r} already exists.")
    team = Team(name=name, created_at=act.now)
    act.session.add(team)
    await act.session.flush()
    await act.audit("team.create", f"team:{team.id}", after={"name": name})
    return team


async def create_agent(
    act: Act,
    *,
    email: str,
    name: str,
    role: str,
    password: str | None,
    language: str = "nl",
    team_id: int | None = None,
    mandate_limit_cents: int | None = None,
) -> Agent:
    email = normalise_email(email)
    if role not in ROLES:
        raise InvalidInput(f"Role must be one of {', '.join(ROLES)}.", field="role")
    if language not in LANGUAGES:
        raise InvalidInput("Language must be nl or en.", field="language")
    if password is not None and len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"A password needs at least {MIN_PASSWORD} characters.", field="password"
        )
    if mandate_limit_cents is not None and mandate_limit_cents < 0:
        raise InvalidInput("A mandate limit cannot be negative.", field="mandate_limit_cents")
    if team_id is not None and await act.session.get(Team, team_id) is None:
        raise NotFound(f"Team {team_id} does not exist.", field="team_id")
    if await act.session.scalar(select(Agent.id).where(Agent.email == email)):
        raise Conflict(f"An agent with e-mail {email} already exists.")
    agent = Agent(
        email=email,
        name=name.strip() or email.split("@")[0],
        role=role,
        language=language,
        team_id=team_id,
        mandate_limit_cents=(
            DEFAULT_MANDATE_CENTS[role] if mandate_limit_cents is None else mandate_limit_cents
        ),
        password_hash=hash_password(password) if password else None,
        active=True,
        created_at=act.now,
    )
    act.session.add(agent)
    await act.session.flush()
    await act.audit("agent.create", f"agent:{agent.id}", after=_snapshot(agent))
    return agent


async def set_language(act: Act, agent: Agent, language: str) -> None:
    if language not in LANGUAGES:
        raise InvalidInput("Language must be nl or en.", field="language")
    if agent.language == language:
        return
    before = _snapshot(agent)
    agent.language = language
    await act.audit("agent.update", f"agent:{agent.id}", before=before, after=_snapshot(agent))


async def create_token(act: Act, *, agent_email: str, name: str = "api") -> str:
    """Create an API token for an agent; returns the token, which is never stored."""
    agent = await act.session.scalar(
        select(Agent).where(Agent.email == normalise_email(agent_email))
    )
    if agent is None:
        raise NotFound(f"No agent with e-mail {agent_email}.")
    token = new_token()
    row = ApiToken(agent_id=agent.id, name=name, token_hash=token_digest(token), created_at=act.now)
    act.session.add(row)
    await act.session.flush()
    await act.audit("token.create", f"agent:{agent.id}", after={"token_id": row.id, "name": name})
    return token


async def create_inbox(
    act: Act, *, team_id: int, name: str, channel: str, address: str | None = None
) -> Inbox:
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("An inbox needs a name of 1 to 100 characters.", field="name")
    if channel not in ("chat", "email"):
        raise InvalidInput("An inbox channel is chat or email.", field="channel")
    if await act.session.get(Team, team_id) is None:
        raise NotFound(f"Team {team_id} does not exist.", field="team_id")
    if await act.session.scalar(select(Inbox.id).where(Inbox.name == name)):
        raise Conflict(f"An inbox named {name!r} already exists.")
    inbox = Inbox(
        team_id=team_id,
        name=name,
        channel=channel,
        address=normalise_email(address) if address else None,
        key=secrets.token_urlsafe(12),
        secret=secrets.token_urlsafe(32),
        prechat=[],
        topics=[],
        email={},
        created_at=act.now,
    )
    act.session.add(inbox)
    await act.session.flush()
    await act.audit(
        "inbox.create",
        f"inbox:{inbox.id}",
        after={"name": name, "channel": channel, "team_id": team_id, "address": inbox.address},
    )
    return inbox


async def set_mask_profanity(act: Act, agent: Agent, on: bool) -> None:
    """The agent's choice to see swear words in customers' messages masked ("k*t")."""
    if agent.mask_profanity == on:
        return
    before = {**_snapshot(agent), "mask_profanity": agent.mask_profanity}
    agent.mask_profanity = on
    await act.audit(
        "agent.update",
        f"agent:{agent.id}",
        before=before,
        after={**_snapshot(agent), "mask_profanity": agent.mask_profanity},
    )
