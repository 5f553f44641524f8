"""The inbox's surveys pages and fragments."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
