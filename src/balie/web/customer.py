"""The customer profile: who they are, what they bought, every conversation they had."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from balie.customers.queries import customer_profile
from balie.ids import IdPath
from balie.web.pages import PageRoute, SignedIn, render

router = APIRouter(route_class=PageRoute)


@router.get("/customers/{customer_id}")
async def customer_page(request: Request, customer_id: IdPath, caller: SignedIn) -> Response:
    async with caller.reading() as act:
        profile = await customer_profile(act.session, act.actor, customer_id)
    return render(request, "customer.html", profile=profile)
