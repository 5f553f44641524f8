"""The Balie app for uvicorn ``--factory``, settings from ``BALIE_*`` (used only while the
``balie serve`` command is missing; see server.py)."""

from __future__ import annotations

from fastapi import FastAPI

from balie.app import create_app
from balie.settings import Settings


def create() -> FastAPI:
    app: FastAPI = create_app(Settings())
    return app
