"""The public survey page: no log-in, reached only through the signed link Balie sent.

The page speaks the conversation's language, not the browser's, so a customer reads it
as they wrote to us. The link's token is the authority to answer; a post must also carry
the short-lived nonce of the rendered form and, when the browser names one, come from
Balie's own origin (see docs/surveys.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from balie.act import Act, Actor, utcnow
from balie.errors import Conflict, Forbidden, InvalidInput, NotFound
from balie.store.database import Database
from balie.store.tables import Conversation, Customer, Survey
from balie.surveys import actions, tokens
from balie.web.i18n import pick_language
from balie.web.pages import field, ui_of

router = APIRouter()
CUSTOMER = Actor("customer", None, "customer")
# A public page: never framed, never cached. The referrer policy is the application's
# "same-origin" (balie.security): the token never leaves for another site. A page policy
# of "no-referrer" would make browsers send "Origin: null" with the form, which
# _same_origin rightly refuses.
HEADERS = {"Cache-Control": "no-store"}


def _page(request: Request, language: str, status: int = 200, **context: Any) -> Response:
    env = ui_of(request).languages.environments[language]
    defaults: dict[str, Any] = {
        "survey": None,
        "token": "",
        "nonce": "",
        "error": None,
        "state": "form",
        "score": None,
        "prevention": "",
        "max_chars": actions.MAX_PREVENTION_CHARS,
    }
    html = env.get_template("survey.html").render(lang=language, **{**defaults, **context})
    return HTMLResponse(html, status_code=status, headers=HEADERS)


async def _load(request: Request, token: str) -> tuple[Survey, str] | None:
    """The survey and its page's language; None for a link that is not ours. A link
    that is ours but too old raises tokens.LinkExpired."""
    survey_id = tokens.survey_id(token)
    if survey_id is None:
        return None
    db: Database = request.app.state.db
    async with db.reading() as session:
        survey = await session.get(Survey, survey_id)
        conversation = await session.get(Conversation, survey.conversation_id) if survey else None
        customer = await session.get(Customer, conversation.customer_id) if conversation else None
    if survey is None or conversation is None:
        return None
    return survey, actions.language_of(conversation, customer)


def _not_found(request: Request) -> Response:
    language = pick_language(request.headers.get("accept-language", ""))
    return _page(request, language, status=404, state="missing")


def _expired(request: Request) -> Response:
    # The token names no language we may trust after it expired: the browser's.
    language = pick_language(request.headers.get("accept-language", ""))
    return _page(request, language, status=410, state="expired")


@router.get("/survey/{token}")
async def survey_page(request: Request, token: str) -> Response:
    try:
        found = await _load(request, token)
    except tokens.LinkExpired:
        return _expired(request)
    if found is None:
        return _not_found(request)
    survey, language = found
    if survey.status != "sent":
        return _page(request, language, state="answered", survey=survey)
    return _page(request, language, survey=survey, token=token, nonce=tokens.form_nonce(survey.id))


def _same_origin(request: Request) -> bool:
    """Browsers name the origin of a cross-site form post; ours is the public address
    (or the address this request came to, for a server reached by another name)."""
    given = request.headers.get("origin")
    if given is None:
        return True
    own = f"{request.url.scheme}://{request.url.netloc}"
    return given in (tokens.origin(), own)


@router.post("/survey/{token}")
async def answer(request: Request, token: str) -> Response:
    try:
        found = await _load(request, token)
    except tokens.LinkExpired:
        return _expired(request)
    if found is None:
        return _not_found(request)
    survey, language = found
    form = await request.form()
    score, prevention = field(form, "score"), field(form, "prevention")
    filled = {"survey": survey, "token": token, "score": score, "prevention": prevention}
    try:
        if not _same_origin(request) or not tokens.nonce_ok(survey.id, field(form, "nonce")):
            raise Forbidden("This form has expired; reload the page and try again.")
        db: Database = request.app.state.db
        async with db.writing() as session:
            await actions.answer(
                Act(session, CUSTOMER, utcnow()), survey.id, score=score, prevention=prevention
            )
    except Conflict:
        return _page(request, language, status=409, state="answered", survey=survey)
    except (InvalidInput, Forbidden) as error:
        return _page(
            request,
            language,
            status=error.status,
            error=error,
            nonce=tokens.form_nonce(survey.id),
            **filled,
        )
    except NotFound:
        return _not_found(request)
    return _page(request, language, state="thanks", survey=survey)
