"""Hash-chained, append-only audit log: every change Balie makes, who made it, before/after."""

from balie.audit.chain import ChainBreak, entry_hash, find_break
from balie.audit.log import record, verify

__all__ = ["ChainBreak", "entry_hash", "find_break", "record", "verify"]
