"""The public chat edge: what the widget calls from any website (docs/chat-protocol.md).

No cookies here: visitors carry a signed token, so these routes answer cross-origin
requests from any host page (see ``ChatCors``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, UploadFile, WebSocket
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from balie import downloads
from balie.act import Act, Actor, utcnow
from balie.chat import actions, visitors
from balie.chat.limits import ChatLimits
from balie.chat.settings import opening
from balie.chat.visitors import Visitor
from balie.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound, TooManyRequests
from balie.live import feed
from balie.live.socket import CLOSE_TOO_MANY
from balie.live.visitor_socket import VisitorSocket, hello
from balie.store.database import Database
from balie.store.tables import Attachment

CHAT_PREFIX = "/chat/v1"
STATIC = Path(__file__).resolve().parent.parent / "chat" / "static"
VISITOR = Actor("visitor", None, "visitor")
router = APIRouter(tags=["chat"])


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _limits(request: Request | WebSocket) -> ChatLimits:
    limits: ChatLimits = request.app.state.chat_limits
    return limits


def _client(request: Request | WebSocket) -> str:
    return request.client.host if request.client else "unknown"


def _visitor(request: Request, inbox_id: int | None = None) -> Visitor:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    visitor = (
        visitors.read(request.app.state.settings.secret_key, token.strip())
        if scheme.lower() == "bearer"
        else None
    )
    if visitor is None or (inbox_id is not None and visitor.inbox_id != inbox_id):
        raise NotAuthenticated("Send the visitor token as Authorization: Bearer.")
    return visitor


async def _throttle(window: Any, key: str, what: str) -> None:
    wait = await window.attempt([key])
    if wait:
        raise TooManyRequests(f"Too many {what}; try again in {wait} seconds.", retry_after=wait)


@router.get("/widget.js", include_in_schema=False)
async def widget_script() -> Response:
    # Short cache: a fixed widget reaches every host page within minutes.
    return FileResponse(
        STATIC / "widget.js",
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


@router.get("/chat/demo.css", include_in_schema=False)
async def demo_stylesheet() -> Response:
    return FileResponse(STATIC / "demo.css", media_type="text/css; charset=utf-8")


@router.get("/chat/demo/{key}", include_in_schema=False)
async def demo_host_page(key: str, request: Request) -> Response:
    """A web shop's page with the widget on it, to try the chat (``make demo`` links it)."""
    async with _db(request).reading() as session:
        inbox = await actions.inbox_by_key(Act(session, VISITOR, utcnow()), key[:100])
    page = (STATIC / "demo.html").read_text(encoding="utf-8")
    return HTMLResponse(page.replace("{{INBOX_KEY}}", inbox.key))


@router.get(CHAT_PREFIX + "/inboxes/{key}")
async def inbox_config(key: str, request: Request) -> dict[str, Any]:
    async with _db(request).reading() as session:
        inbox = await actions.inbox_by_key(Act(session, VISITOR, utcnow()), key[:100])
    is_open, next_open = opening(inbox.hours, utcnow())
    return {
        "key": inbox.key,
        "name": inbox.name,
        "prechat": inbox.prechat,
        "topics": inbox.topics,
        "open": is_open,
        "next_open_at": next_open,
        "hours": inbox.hours,
        "incident": inbox.incident,
        "limits": {
            "attachment_bytes": actions.MAX_ATTACHMENT_BYTES,
            "attachment_types": list(actions.ATTACHMENT_TYPES),
            "text_chars": 10_000,
        },
    }


@router.post(CHAT_PREFIX + "/inboxes/{key}/visitors", status_code=201)
async def new_visitor(
    key: str, request: Request, body: Annotated[dict[str, Any] | None, Body()] = None
) -> dict[str, str]:
    await _throttle(_limits(request).visitors_per_ip, _client(request), "new visitors")
    body = body or {}
    async with _db(request).reading() as session:
        inbox = await actions.inbox_by_key(Act(session, VISITOR, utcnow()), key[:100])
    user_id, given = body.get("user_id"), body.get("user_hash")
    if user_id is None and given is None:
        visitor = visitors.anonymous(inbox.id)
    else:
        if not isinstance(user_id, str) or not isinstance(given, str):
            raise InvalidInput("user_id and user_hash go together, both as text.")
        found = visitors.verified(inbox.id, inbox.secret, user_id, given)
        if found is None:
            raise Forbidden("The user_hash does not match this user_id.")
        visitor = found
    token = visitors.issue(request.app.state.settings.secret_key, visitor)
    return {"token": token, "visitor": visitor.key}


@router.post(CHAT_PREFIX + "/inboxes/{key}/requests", status_code=201)
async def follow_up_request(
    key: str, request: Request, body: Annotated[dict[str, Any], Body()]
) -> dict[str, int]:
    async with _db(request).writing() as session:
        act = Act(session, VISITOR, utcnow())
        inbox = await actions.inbox_by_key(act, key[:100])
        visitor = _visitor(request, inbox.id)
        await _throttle(_limits(request).starts_per_visitor, visitor.key, "requests")
        conversation = await actions.request_follow_up(act, inbox, visitor, body)
        conversation_id = conversation.id
    return {"conversation_id": conversation_id}


@router.post(CHAT_PREFIX + "/attachments", status_code=201)
async def upload(request: Request, file: UploadFile) -> dict[str, Any]:
    visitor = _visitor(request)
    await _throttle(_limits(request).uploads_per_visitor, visitor.key, "uploads")
    data = await file.read(actions.MAX_ATTACHMENT_BYTES + 1)
    async with _db(request).writing() as session:
        row = await actions.store_attachment(
            Act(session, VISITOR, utcnow()),
            owner=visitor.key,
            name=file.filename or "attachment",
            content_type=file.content_type or "",
            data=data,
        )
        out = {"id": row.id, "name": row.name, "type": row.content_type, "size": row.size}
    return out


@router.get(CHAT_PREFIX + "/attachments/{signed}")
async def download(signed: str, request: Request) -> Response:
    attachment_id = feed.attachment_id(request.app.state.settings.secret_key, signed[:200])
    async with _db(request).reading() as session:
        row = await session.get(Attachment, attachment_id) if attachment_id else None
    if row is None or row.message_id is None:
        raise NotFound("There is no such attachment.")
    # Always a download, never rendered in our origin (and nosniff from SecurityHeaders):
    # an uploaded file cannot run script here.
    return downloads.download(
        row.data, name=row.name, media_type=row.content_type, cache="private, max-age=3600"
    )


@router.websocket(CHAT_PREFIX + "/ws")
async def visitor_socket(ws: WebSocket) -> None:
    await ws.accept()
    state = ws.app.state
    if await _limits(ws).connections_per_ip.attempt([_client(ws)]):
        await ws.close(CLOSE_TOO_MANY)
        return
    checked = await hello(ws, state.db, state.settings.secret_key)
    if checked is None:
        return
    inbox, visitor, after, conversation_id = checked
    socket = VisitorSocket(
        ws,
        db=state.db,
        hub=state.hub,
        limits=state.chat_limits,
        secret_key=state.settings.secret_key,
        inbox=inbox,
        visitor=visitor,
        after=after,
    )
    await socket.start(conversation_id)


class ChatCors:
    """Cross-origin access to the public chat routes from any host page. No credentials
    are allowed, so a browser never sends cookies along: visitors carry their token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(CHAT_PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await Response(
                status_code=204,
                headers={
                    "Access-Control-Allow-Origin": "*",
                    "Access-Control-Allow-Methods": "GET, POST",
                    "Access-Control-Allow-Headers": "Authorization, Content-Type",
                    "Access-Control-Max-Age": "600",
                },
            )(scope, receive, send)
            return

        async def with_cors(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"access-control-allow-origin", b"*")]
            await send(message)

        await self.app(scope, receive, with_cors)


# -- Callbacks requested in the widget outside business hours (SCENARIOS B5) ---------------


@router.get(CHAT_PREFIX + "/inboxes/{key}/callback-slots")
async def callback_slots(key: str, request: Request) -> dict[str, Any]:
    """The half-hour slots, within business hours, a visitor may ask to be called in."""
    from balie.callbacks import slots as callback_slots_of
    from balie.hours import parse_hours

    now = utcnow()
    async with _db(request).reading() as session:
        inbox = await actions.inbox_by_key(Act(session, VISITOR, now), key[:100])
    offered = callback_slots_of.offered_slots(parse_hours(inbox.hours), now)
    return {
        "timezone": (inbox.hours or {}).get("timezone"),
        "slots": [{"start": s.isoformat(), "end": e.isoformat()} for s, e in offered],
    }


@router.post(CHAT_PREFIX + "/inboxes/{key}/callbacks", status_code=201)
async def request_callback(
    key: str, request: Request, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """A visitor asks to be called in one of the offered slots: the conversation (their
    open chat, or a new one) and the callback are stored together, or nothing is."""
    from balie.callbacks import actions as callback_actions

    async with _db(request).writing() as session:
        act = Act(session, VISITOR, utcnow())
        inbox = await actions.inbox_by_key(act, key[:100])
        visitor = _visitor(request, inbox.id)
        await _throttle(_limits(request).starts_per_visitor, visitor.key, "requests")
        callback = await callback_actions.request_from_widget(act, inbox, visitor, body)
        return {
            "callback_id": callback.id,
            "conversation_id": callback.conversation_id,
            "phone": callback.phone,
            "slot_start": callback.slot_start.isoformat(),
            "slot_end": callback.slot_end.isoformat(),
        }
