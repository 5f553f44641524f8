"""The event bus: says "something new happened on this topic" to every process.

It carries hints, never the data itself: a client that hears of news reads what it missed
by sequence number from the database (DESIGN principle 4), so a lost hint costs a little
delay, never a message. A subscriber whose connection to the bus breaks is told so
(``BusLost``) instead of going quiet, so it can resume from the database.
"""

from balie.events.bus import BusLost, EventBus, Subscription

__all__ = ["BusLost", "EventBus", "Subscription"]
