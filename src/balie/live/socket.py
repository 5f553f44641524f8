"""What every live socket shares: JSON frames, one writer at a time, heartbeats both
ways, and clear errors for bad frames (nothing is stored for them)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from abc import ABC, abstractmethod
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from balie.errors import BalieError, Conflict, InvalidInput, NotFound, TooManyRequests

PING_SECONDS = 20.0
DEAD_AFTER_SECONDS = 60.0
MAX_FRAME_CHARS = 60_000

CLOSE_BAD_HELLO = 4400
CLOSE_BAD_TOKEN = 4401
CLOSE_NO_INBOX = 4404
CLOSE_SILENT = 4408
CLOSE_TOO_MANY = 4429


def error_code(error: BalieError) -> str:
    if isinstance(error.data.get("chat_code"), str):
        return str(error.data["chat_code"])
    if isinstance(error, TooManyRequests):
        return "rate_limited"
    if isinstance(error, NotFound):
        return "no_conversation"
    if isinstance(error, Conflict):
        return "conversation_ended"
    if isinstance(error, InvalidInput):
        return "invalid"
    return "forbidden"


def error_frame(error: BalieError, frame: Any) -> dict[str, Any]:
    client_id = frame.get("client_id") if isinstance(frame, dict) else None
    reply: dict[str, Any] = {
        "type": "error",
        "code": error_code(error),
        "message": error.detail,
        "client_id": client_id if isinstance(client_id, str) else None,
    }
    for extra in ("retry_after", "conversation_id", "field"):
        if extra in error.data:
            reply[extra] = error.data[extra]
    return reply


class LiveSocket(ABC):
    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.send_lock = asyncio.Lock()
        self.heard_at = time.monotonic()

    async def send(self, frame: dict[str, Any]) -> None:
        async with self.send_lock:
            await self.ws.send_json(frame)

    @abstractmethod
    async def handle(self, frame: dict[str, Any]) -> None:
        """Act on one frame from the client; raise a BalieError to refuse it."""

    @abstractmethod
    async def pump(self) -> None:
        """Forever: wait for news and send it."""

    async def on_heartbeat(self) -> None:  # noqa: B027 (an optional hook)
        """Called with every server ping."""

    async def _read(self) -> None:
        while True:
            text = await self.ws.receive_text()
            self.heard_at = time.monotonic()
            frame: Any = None
            try:
                if len(text) > MAX_FRAME_CHARS:
                    raise InvalidInput("The frame is too large.")
                try:
                    frame = json.loads(text)
                except ValueError as exc:
                    raise InvalidInput("A frame must be JSON.") from exc
                if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
                    raise InvalidInput("Every frame is a JSON object with a type.")
                if frame["type"] == "ping":
                    await self.send({"type": "pong"})
                elif frame["type"] != "pong":
                    await self.handle(frame)
            except BalieError as error:
                await self.send(error_frame(error, frame))

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(PING_SECONDS)
            if time.monotonic() - self.heard_at > DEAD_AFTER_SECONDS:
                await self.ws.close(CLOSE_SILENT)
                return
            await self.send({"type": "ping"})
            await self.on_heartbeat()

    async def serve(self) -> None:
        """Read, write and beat until the connection ends (any of the three ends it)."""
        tasks = [
            asyncio.create_task(self._read()),
            asyncio.create_task(self.pump()),
            asyncio.create_task(self._heartbeat()),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                exc = task.exception()
                # A vanished client surfaces as a disconnect or as a send on a closed socket.
                if exc is not None and not isinstance(exc, WebSocketDisconnect | RuntimeError):
                    raise exc
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(BaseException):
                    await task
