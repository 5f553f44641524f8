"""Durable timers: rows due at a time, fired exactly once by whichever process claims them.

A timer's kind names its handler: ``"sla.check"`` is ``HANDLERS["check"]`` in
``balie.sla.timers``. A room that needs timers keeps its handlers in its own ``timers``
module, so adding a kind touches no shared list.
"""
