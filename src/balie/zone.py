"""Where Balie's agents work: the time zone for showing times and reading promises.

One zone for the whole installation until inboxes carry their own business hours.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

# Agents work in the Netherlands and Belgium.
LOCAL_ZONE = ZoneInfo("Europe/Amsterdam")
