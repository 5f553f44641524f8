"""The inbox's sla fragments (owned by the sla room; filled in there)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from balie.ids import IdPath
from balie.web.pages import SignedIn

router = APIRouter()


@router.get("/conversations/{conversation_id}/sla")
async def panel(conversation_id: IdPath, caller: SignedIn) -> Response:
    return Response(status_code=204)
