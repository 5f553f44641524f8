"""The ASGI application: wiring only."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles

from balie import __version__
from balie.api.abuse import router as abuse_router
from balie.api.alerts import router as alerts_router
from balie.api.callbacks import router as callbacks_router
from balie.api.chat import ChatCors
from balie.api.chat import router as chat_router
from balie.api.coach import router as coach_router
from balie.api.conversations import router as conversations_router
from balie.api.customers import router as customers_router
from balie.api.followups import router as followups_router
from balie.api.goodwill import router as goodwill_router
from balie.api.inboxes import router as inboxes_router
from balie.api.incidents import router as incidents_router
from balie.api.live import router as live_router
from balie.api.macros import router as macros_router
from balie.api.orders import router as orders_router
from balie.api.reports import router as reports_router
from balie.api.search import router as search_router
from balie.api.sla import router as sla_router
from balie.api.surveys import router as surveys_router
from balie.chat.actions import MAX_ATTACHMENT_BYTES
from balie.chat.limits import ChatLimits
from balie.email.service import EmailService
from balie.errors import BalieError, InvalidInput
from balie.events.memory import MemoryBus
from balie.events.redis_bus import RedisBus
from balie.live import feed
from balie.live.hub import Hub
from balie.observability import Metrics, RequestContext, configure_logging
from balie.repeats.actions import configure as configure_repeats
from balie.security import BodyLimit, SecurityHeaders
from balie.settings import Settings
from balie.store.database import Database
from balie.store.tables import Conversation
from balie.surveys import tokens as survey_tokens
from balie.timers.loop import TimerLoop
from balie.web import STATIC_DIR, create_router

log = logging.getLogger("balie")
PROBLEM = "application/problem+json"


def problem_response(error: BalieError, request: Request) -> JSONResponse:
    return JSONResponse(
        error.problem(request.url.path), status_code=error.status, media_type=PROBLEM
    )


def _validation_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]),
            "message": e["msg"],
            "type": e["type"],
        }
        for e in exc.errors()
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        error: BalieError = InvalidInput("The request body is not valid JSON.", errors=errors)
        error.status = 400
    else:
        error = InvalidInput(
            "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors
        )
    return problem_response(error, request)


def _http_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    error = BalieError(str(exc.detail))
    error.status, error.code, error.title = (
        exc.status_code,
        f"http_{exc.status_code}",
        str(exc.detail),
    )
    return problem_response(error, request)


def _balie_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BalieError)
    return problem_response(exc, request)


def create_app(settings: Settings, db: Database | None = None) -> FastAPI:
    configure_logging(settings.log_level, settings.log_json)
    configure_repeats(settings.repeat_count, settings.repeat_window_days)
    survey_tokens.configure(settings.secret_key, settings.effective_public_url)
    database = db or Database(settings.effective_database_url)
    metrics = Metrics()

    async def changes_after(seq: int) -> tuple[list[str], int]:
        async with database.reading() as session:
            return await feed.changes_after(session, seq)

    hub = Hub(
        RedisBus(settings.redis_url, prefix=settings.redis_prefix)
        if settings.redis_url
        else MemoryBus(),
        changes_after,
        sweep_seconds=settings.live_sweep_seconds,
    )

    email = EmailService(database, settings)
    timers = TimerLoop(database, settings.timer_poll_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await hub.start()
        database.commit_listeners.append(hub.on_commit)
        await email.start()
        if settings.background_in_server:
            await timers.start()
        log.info(
            "started",
            extra={"fields": {"database": database.dialect, "bus": type(hub.bus).__name__}},
        )
        try:
            yield
        finally:
            await timers.stop()
            await email.stop()
            database.commit_listeners.remove(hub.on_commit)
            await hub.stop()
            if db is None:  # a database handed in belongs to the caller
                await database.dispose()

    app = FastAPI(
        title="Balie",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        # Swagger UI needs a CDN and inline scripts, which the CSP forbids; the
        # OpenAPI document itself is published.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.metrics = metrics
    app.state.hub = hub
    app.state.email = email
    app.state.timers = timers
    app.state.chat_limits = ChatLimits.of(settings)

    app.add_exception_handler(BalieError, _balie_problem)
    app.add_exception_handler(RequestValidationError, _validation_problem)
    app.add_exception_handler(StarletteHTTPException, _http_problem)

    app.include_router(conversations_router)
    app.include_router(alerts_router)
    app.include_router(goodwill_router)
    app.include_router(sla_router)
    app.include_router(abuse_router)
    app.include_router(macros_router)
    app.include_router(callbacks_router)
    app.include_router(surveys_router)
    app.include_router(incidents_router)
    app.include_router(reports_router)
    app.include_router(followups_router)
    app.include_router(coach_router)
    app.include_router(customers_router)
    app.include_router(orders_router)
    app.include_router(search_router)
    app.include_router(inboxes_router)
    app.include_router(live_router)
    app.include_router(chat_router)
    app.include_router(create_router(settings))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> Response:
        try:
            async with database.reading() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:  # any failure to reach the database is "unhealthy"
            log.warning("healthz failed", extra={"fields": {"error": repr(exc)}})
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "database": database.dialect})

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def prometheus() -> Response:
        async with database.reading() as session:
            result = await session.execute(
                select(Conversation.status, func.count())
                .where(Conversation.status != "resolved")
                .group_by(Conversation.status)
            )
            counts: dict[str, Any] = {status: n for status, n in result}
        for status in ("open", "pending", "snoozed"):
            metrics.open_conversations.labels(status).set(counts.get(status, 0))
        return PlainTextResponse(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # Outermost last: request ids and security headers wrap everything, errors included.
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="balie_session",
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        # An attachment plus its multipart envelope.
        larger={"/chat/v1/attachments": MAX_ATTACHMENT_BYTES + 64 * 1024},
    )
    app.add_middleware(ChatCors)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestContext, metrics=metrics)
    return app
