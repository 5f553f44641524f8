"""Sla over HTTP."""

from __future__ import annotations

from fastapi import APIRouter

from balie.api import PREFIX

router = APIRouter(prefix=PREFIX, tags=["sla"])
