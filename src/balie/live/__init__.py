"""Live delivery: the process-wide hub that hears the event bus, and the websockets of
visitors and agents that read what is new from the database (docs/chat-protocol.md)."""
