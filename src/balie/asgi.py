"""The application factory for server processes started by name (``balie serve`` with
``BALIE_WORKERS`` above 1, or any ASGI server: ``uvicorn --factory balie.asgi:create``)."""

from __future__ import annotations

from fastapi import FastAPI

from balie.app import create_app
from balie.settings import Settings


def create() -> FastAPI:
    return create_app(Settings())
