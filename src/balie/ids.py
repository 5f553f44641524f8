"""Identifiers as they arrive from outside: positive and within a 64-bit column.

Every id a caller sends (path, query, body, form) is checked against these bounds at the
edge, so an absurd id is a clear 4xx instead of an overflow deep in a database driver.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

MAX_ID = 2**63 - 1
# Sequence numbers and counts live in 32-bit columns.
MAX_SEQ = 2**31 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def parse_id(value: str) -> int | None:
    """A form field as an id, or None when it is not one."""
    value = value.strip()
    if not value.isdigit() or not value.isascii():
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None
