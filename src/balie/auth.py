"""Who is calling: a bearer API token or the inbox's session cookie, and what they may do."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import select

from balie.act import Act, Actor, utcnow
from balie.agents.roles import Role, at_least
from balie.agents.tokens import PREFIX, token_digest
from balie.errors import Forbidden, NotAuthenticated
from balie.store.database import Database
from balie.store.tables import Agent, ApiToken

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Caller:
    """The authenticated agent of one request, with the way into the database."""

    agent: Agent
    db: Database
    via: str  # "token" | "session"

    @property
    def actor(self) -> Actor:
        return Actor("agent", self.agent.id, self.agent.role, self.agent.team_id)

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[Act]:
        async with self.db.writing() as session:
            yield Act(session, self.actor, utcnow())

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Act]:
        async with self.db.reading() as session:
            yield Act(session, self.actor, utcnow())


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, given: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not given or not hmac.compare_digest(str(expected), given):
        raise Forbidden("Missing or wrong CSRF token; reload the page and try again.")


async def _agent_from_token(db: Database, token: str) -> Agent | None:
    if not token.startswith(PREFIX):
        return None
    async with db.reading() as session:
        return await session.scalar(
            select(Agent)
            .join(ApiToken, ApiToken.agent_id == Agent.id)
            .where(
                ApiToken.token_hash == token_digest(token),
                ApiToken.revoked_at.is_(None),
                Agent.active.is_(True),
            )
        )


async def _agent_from_session(db: Database, agent_id: Any) -> Agent | None:
    if not isinstance(agent_id, int):
        return None
    async with db.reading() as session:
        agent = await session.get(Agent, agent_id)
    return agent if agent is not None and agent.active else None


async def identify(request: Request) -> Caller | None:
    db: Database = request.app.state.db
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        agent = await _agent_from_token(db, token.strip()) if scheme.lower() == "bearer" else None
        if agent is None:
            raise NotAuthenticated("The API token is unknown or revoked.")
        return Caller(agent, db, "token")
    agent = await _agent_from_session(db, request.session.get("agent_id"))
    if agent is None:
        return None
    if request.method not in SAFE_METHODS:
        check_csrf(request, request.headers.get("x-csrf-token"))
    return Caller(agent, db, "session")


def require(role: Role = "agent") -> Callable[[Request], Coroutine[Any, Any, Caller]]:
    """A FastAPI dependency: an authenticated caller with at least ``role``."""

    async def dependency(request: Request) -> Caller:
        caller = await identify(request)
        if caller is None:
            raise NotAuthenticated("Log in or send a bearer API token.")
        if not at_least(caller.agent.role, role):
            raise Forbidden(f"This needs the {role} role.")
        return caller

    return dependency
