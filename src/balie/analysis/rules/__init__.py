"""The coach's rules, one flag kind per module. Each module exposes ``RULE``; the coach runs
them in this order, so flags come out grouped by kind before they are sorted by place."""

from __future__ import annotations

from balie.analysis.rules import (
    blame_customer,
    charge_for_fault,
    gag_clause,
    insult,
    internal_process,
    no_apology,
    qualified_apology,
    refusal_without_alternative,
    sarcasm,
)
from balie.analysis.rules.draft import Draft, Rule

ALL: tuple[Rule, ...] = (
    insult.RULE,
    sarcasm.RULE,
    blame_customer.RULE,
    internal_process.RULE,
    no_apology.RULE,
    qualified_apology.RULE,
    refusal_without_alternative.RULE,
    gag_clause.RULE,
    charge_for_fault.RULE,
)

__all__ = ["ALL", "Draft", "Rule"]
