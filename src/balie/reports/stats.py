"""Medians and percentiles of durations. Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def median(values: Sequence[float]) -> float | None:
    """The middle value; with an even count, the mean of the two middle ones."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest rank: the smallest value that at least ``share`` of the values do not
    exceed. Always a value that occurred, which people can look up in the table."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return float(ordered[rank - 1])


def summary(seconds: Sequence[float]) -> dict[str, Any]:
    return {
        "count": len(seconds),
        "median_seconds": median(seconds),
        "p90_seconds": percentile(seconds, 0.9),
    }
