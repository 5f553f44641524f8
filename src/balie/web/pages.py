"""What every inbox page shares: who is signed in, CSRF on forms, rendering in the
agent's language, and turning errors into a readable page instead of a stack trace."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData

from balie.alerts import queries as alert_queries
from balie.auth import Caller, check_csrf, csrf_token
from balie.chat.actions import DEFAULT_CAPACITY
from balie.errors import BalieError, Forbidden, InvalidInput
from balie.settings import Settings
from balie.store.database import Database
from balie.store.tables import Agent, AgentPresence
from balie.web.i18n import DEFAULT_LANGUAGE, LANGUAGES, Languages, pick_language
from balie.web.login_throttle import LoginThrottle, MemoryLoginThrottle

# What ``balie.chat.actions.set_presence`` gives an agent whose capacity was never set.


@dataclass(frozen=True)
class WebUI:
    """One per application: templates per language and the log-in throttle."""

    languages: Languages
    throttle: LoginThrottle

    @classmethod
    def start(cls, settings: Settings) -> WebUI:
        return cls(
            Languages(),
            MemoryLoginThrottle(settings.login_attempts, settings.login_window_seconds),
        )

    def attach(self, request: Request) -> None:
        """A dependency of every page: makes this UI reachable from the request."""
        request.state.ui = self


class LoginRequired(Exception):
    """Raised by ``signed_in`` when nobody is logged in; pages answer with a redirect."""


def ui_of(request: Request) -> WebUI:
    ui: WebUI = request.state.ui
    return ui


async def signed_in(request: Request) -> Caller:
    """The logged-in agent of this page request, or a redirect to the log-in page."""
    db: Database = request.app.state.db
    agent_id = request.session.get("agent_id")
    agent = None
    presence = None
    if isinstance(agent_id, int):
        async with db.reading() as session:
            agent = await session.get(Agent, agent_id)
            # The header's presence control shows the agent's chosen status on every page.
            presence = await session.get(AgentPresence, agent_id)
            if agent is not None and agent.active:
                caller = Caller(agent, db, "session")
                # And the Alerts link, how many wait for them.
                request.state.alert_ids = await alert_queries.open_ids(session, caller.actor)
                request.state.agent = agent
                request.state.presence = presence
                return caller
    raise LoginRequired


UI = Annotated[WebUI, Depends(ui_of)]
SignedIn = Annotated[Caller, Depends(signed_in)]


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token (field ``csrf`` or header) is checked."""
    form = await request.form()
    given = form.get("csrf") or request.headers.get("x-csrf-token")
    check_csrf(request, given if isinstance(given, str) else None)
    return form


def field(form: FormData, name: str) -> str:
    """A text field; NUL characters are dropped (no text Balie stores may hold them)."""
    value = form.get(name)
    return value.replace("\x00", "") if isinstance(value, str) else ""


def language_of(request: Request) -> str:
    """The agent's language; before log-in, the browser's preference."""
    agent: Agent | None = getattr(request.state, "agent", None)
    if agent is None:
        return pick_language(request.headers.get("accept-language", ""))
    return agent.language if agent.language in LANGUAGES else DEFAULT_LANGUAGE


def local_path(candidate: str, default: str = "/") -> str:
    """Only same-site paths are followed after a form, never another host. Browsers drop
    tabs and newlines and read a backslash as a slash, so "/\t/evil.example" would be
    "//evil.example": such paths are refused outright."""
    if (
        candidate.startswith("/")
        and not candidate.startswith("//")
        and candidate.isprintable()
        and not any(c.isspace() or c == "\\" for c in candidate)
    ):
        return candidate
    return default


def _here(request: Request) -> str:
    """Where the header's forms (language, masking) return to. A page rendered for a
    refused post (a blocked reply) is at a POST-only address: return to the page the post
    came from instead."""
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    came_from = urlsplit(request.headers.get("referer", ""))
    if came_from.netloc and came_from.netloc != request.url.netloc:
        return "/"
    return local_path(came_from.path + (f"?{came_from.query}" if came_from.query else ""))


def _presence(request: Request) -> dict[str, Any]:
    """The agent's chosen chat status and capacity, as the header's control shows it.
    Never set means offline with the capacity ``set_presence`` would give."""
    presence: AgentPresence | None = getattr(request.state, "presence", None)
    if presence is None:
        return {"status": "offline", "capacity": DEFAULT_CAPACITY}
    return {"status": presence.status, "capacity": presence.capacity}


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> Response:
    ui = ui_of(request)
    language = language_of(request)
    page = ui.languages.environments[language].get_template(template)
    html = page.render(
        request=request,
        lang=language,
        agent=getattr(request.state, "agent", None),
        presence=_presence(request),
        alert_ids=getattr(request.state, "alert_ids", []),
        csrf=csrf_token(request),
        here=_here(request),
        **context,
    )
    # Pages hold customers' words and a CSRF token: no shared or back-button caches.
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def redirect(url: str) -> Response:
    # 303: the browser follows a form post with a GET.
    return RedirectResponse(url, status_code=303)


def render_error(request: Request, error: BalieError) -> Response:
    return render(request, "error.html", status=error.status, error=error)


class PageRoute(APIRoute):
    """Routes of the inbox: a missing log-in redirects, a refused change becomes a page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handle(request)
            except LoginRequired:
                if request.headers.get("hx-request"):
                    # A fragment request: send the whole page to the log-in, not a fragment.
                    return Response(status_code=204, headers={"HX-Redirect": "/login"})
                if request.method != "GET":
                    return render_error(
                        request, Forbidden("Your session has ended; please log in again.")
                    )
                wanted = quote(
                    request.url.path + ("?" + request.url.query if request.url.query else "")
                )
                return redirect(f"/login?next={wanted}")
            except BalieError as error:
                if getattr(request.state, "ui", None) is None:
                    raise
                return render_error(request, error)
            except RequestValidationError as invalid:  # e.g. /conversations/abc
                if getattr(request.state, "ui", None) is None:
                    raise
                fields = ", ".join(str(e["loc"][-1]) for e in invalid.errors())
                return render_error(request, InvalidInput(f"Not a valid value for {fields}."))

        return page
