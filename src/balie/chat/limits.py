"""Rate limits of the public chat edge, per visitor and per client address.

They count in this process; with several processes each counts its own share, which is
enough to stop a flood from one source (a shared Redis counter could replace it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from balie.settings import Settings
from balie.web.login_throttle import MemoryLoginThrottle as SlidingWindow


@dataclass
class ChatLimits:
    visitors_per_ip: SlidingWindow
    connections_per_ip: SlidingWindow
    messages_per_visitor: SlidingWindow
    starts_per_visitor: SlidingWindow
    uploads_per_visitor: SlidingWindow = field(default_factory=lambda: SlidingWindow(30, 3600))

    @classmethod
    def of(cls, settings: Settings) -> ChatLimits:
        return cls(
            visitors_per_ip=SlidingWindow(settings.chat_visitors_per_ip_hour, 3600),
            connections_per_ip=SlidingWindow(settings.chat_connections_per_ip_hour, 3600),
            messages_per_visitor=SlidingWindow(settings.chat_messages_per_10s, 10),
            starts_per_visitor=SlidingWindow(settings.chat_starts_per_hour, 3600),
        )
