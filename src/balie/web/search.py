"""The search page behind the header's search box: messages and customers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from balie.errors import BalieError
from balie.search.query import SearchResults, search
from balie.web.pages import PageRoute, SignedIn, render

router = APIRouter(route_class=PageRoute)


@router.get("/search")
async def search_page(
    request: Request, caller: SignedIn, q: Annotated[str, Query(max_length=1000)] = ""
) -> Response:
    results: SearchResults | None = None
    error: BalieError | None = None
    if q.strip():
        try:
            async with caller.reading() as act:
                results = await search(act.session, act.actor, q, limit=20)
        except BalieError as refused:  # e.g. a query that is too long or has no words
            error = refused
    return render(
        request,
        "search.html",
        status=error.status if error else 200,
        query=q,
        results=results,
        error=error,
    )
