"""Logging in and out, and the agent's own choices: language, masked swear words."""

from __future__ import annotations

import logging
import math
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from balie.addresses import normalise_email
from balie.agents.actions import set_language, set_mask_profanity
from balie.agents.passwords import check_password
from balie.errors import BalieError
from balie.store.database import Database
from balie.store.tables import Agent
from balie.web.pages import (
    UI,
    LoginRequired,
    PageRoute,
    SignedIn,
    checked_form,
    field,
    local_path,
    redirect,
    render,
    signed_in,
)

router = APIRouter(route_class=PageRoute)
log = logging.getLogger("balie.web.login")


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _address(email: str) -> str:
    try:
        return normalise_email(email)
    except BalieError:  # not an address: it can match no agent, but still counts as a try
        return email.strip().lower()


async def _agent_for(db: Database, address: str) -> Agent | None:
    async with db.reading() as session:
        return await session.scalar(select(Agent).where(Agent.email == address))


@router.get("/login")
async def login_page(request: Request, next: str = "/") -> Response:
    try:
        await signed_in(request)
        return redirect(local_path(next))  # already logged in
    except LoginRequired:
        pass
    return render(request, "login.html", next=local_path(next), email="", failed=False)


@router.post("/login")
async def log_in(request: Request, ui: UI) -> Response:
    form = await checked_form(request)
    email, password = field(form, "email"), field(form, "password")
    next_page = local_path(field(form, "next"))
    address = _address(email)
    keys = [f"email:{address}", f"ip:{_client_address(request)}"]
    wait = await ui.throttle.attempt(keys)
    if wait:
        # Refused before the password is checked: a correct guess must not get through.
        log.warning("log-in throttled", extra={"fields": {"client": keys[1], "wait": wait}})
        return render(request, "too_many.html", status=429, minutes=max(1, math.ceil(wait / 60)))
    agent = await _agent_for(request.app.state.db, address)
    # check_password verifies against a dummy hash for unknown agents: same time, same
    # answer. Argon2 is deliberately slow, so it runs off the event loop.
    valid = await run_in_threadpool(
        check_password, agent.password_hash if agent else None, password
    )
    if agent is None or not agent.active or not valid:
        log.info("log-in refused", extra={"fields": {"client": keys[1]}})
        return render(request, "login.html", status=401, next=next_page, email=email, failed=True)
    await ui.throttle.forgive(keys)
    # A fresh session on log-in, so a session planted before log-in is worth nothing.
    request.session.clear()
    request.session["agent_id"] = agent.id
    request.session["csrf"] = secrets.token_urlsafe(24)
    return redirect(next_page)


@router.post("/logout")
async def log_out(request: Request) -> Response:
    await checked_form(request)
    request.session.clear()
    return redirect("/login")


@router.post("/language")
async def choose_language(request: Request, caller: SignedIn) -> Response:
    form = await checked_form(request)
    async with caller.writing() as act:
        agent = await act.session.get(Agent, caller.agent.id)
        assert agent is not None
        await set_language(act, agent, field(form, "language"))
    return redirect(local_path(field(form, "next")))


@router.post("/settings/mask-profanity")
async def mask_profanity(request: Request, caller: SignedIn) -> Response:
    """Show swear words in customers' messages masked ("k*t"), or as written."""
    form = await checked_form(request)
    async with caller.writing() as act:
        agent = await act.session.get(Agent, caller.agent.id)
        assert agent is not None
        await set_mask_profanity(act, agent, field(form, "on") == "1")
    return redirect(local_path(field(form, "next")))
