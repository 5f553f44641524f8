"""The agent inbox: server-rendered pages (Jinja2 + htmx) in Dutch and English."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends

from balie.settings import Settings
from balie.web import (
    alerts,
    callbacks,
    coach,
    conversation,
    customer,
    followups,
    goodwill,
    inbox,
    incidents,
    live,
    login,
    macros,
    reports,
    safety,
    search,
    sla,
    surveys,
)
from balie.web.pages import WebUI

STATIC_DIR = Path(__file__).parent / "static"
__all__ = ["STATIC_DIR", "create_router"]


def create_router(settings: Settings) -> APIRouter:
    """The inbox's routes, sharing one ``WebUI`` (templates, log-in throttle) per app."""
    ui = WebUI.start(settings)
    router = APIRouter(include_in_schema=False)
    for pages in (
        login.router,
        inbox.router,
        conversation.router,
        coach.router,
        customer.router,
        search.router,
        live.router,
        alerts.router,
        goodwill.router,
        safety.router,
        callbacks.router,
        incidents.router,
        sla.router,
        macros.router,
        reports.router,
        surveys.router,
        followups.router,
    ):
        router.include_router(pages, dependencies=[Depends(ui.attach)])
    return router
