"""Files handed to a browser: always downloaded, never rendered in Balie's origin.

Customers send anything (HTML files, SVG, mail with scripts); served as an attachment with
``nosniff`` (SecurityHeaders), none of it can run script next to the agent's session.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import Response

from balie.act import Act
from balie.conversations.actions import get_visible
from balie.email.queries import original
from balie.errors import NotFound

__all__ = ["content_disposition", "download", "original_mail"]


def content_disposition(name: str) -> str:
    """A download header for any file name: an ASCII fallback and the UTF-8 name (RFC 6266),
    since e-mail brings names in every script and headers are Latin-1."""
    fallback = "".join(c if " " <= c < "\x7f" and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def download(data: bytes, *, name: str, media_type: str, cache: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": content_disposition(name), "Cache-Control": cache},
    )


async def original_mail(act: Act, conversation_id: int, message_id: int) -> Response:
    """A received e-mail exactly as it arrived, as an .eml download (API and pages): the
    timeline shows only the customer's new words, this has the headers, the quoted
    history and every part."""
    await get_visible(act, conversation_id)
    raw = await original(act.session, conversation_id, message_id)
    if raw is None:
        raise NotFound(f"Message {message_id} did not arrive by e-mail in this conversation.")
    return download(
        raw, name=f"message-{message_id}.eml", media_type="message/rfc822", cache="no-store"
    )
