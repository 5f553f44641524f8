"""The inbox's safety fragments (owned by the safety room; filled in there)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from balie.ids import IdPath
from balie.web.pages import SignedIn

router = APIRouter()


@router.get("/conversations/{conversation_id}/safety")
async def panel(conversation_id: IdPath, caller: SignedIn) -> Response:
    return Response(status_code=204)
