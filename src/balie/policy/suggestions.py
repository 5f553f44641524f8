"""What to offer the customer: from entitlement, severity and repeat. Pure.

Shouting never buys more (A3): the inputs are what the customer is entitled to (warranty),
how serious the problem is, and whether it keeps coming back (E2). How angry or abusive
the customer was is deliberately not an input, so it cannot change the answer.

Each suggestion names a goodwill kind (or ``repair``, which is the warranty itself, not
goodwill), a code saying why (the inbox words it in the agent's language), and for a
contribution the share of the cost Balie suggests to pay.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

EntitlementState = Literal["in_warranty", "expired", "no_order"]

# After this many days past the warranty, a repair contribution is no longer suggested;
# a small credit still is.
CONTRIBUTION_DAYS = 365


@dataclass(frozen=True)
class Entitlement:
    state: EntitlementState
    purchase_date: dt.date | None = None
    warranty_ends: dt.date | None = None
    # In warranty: days left (0 on the last covered day); expired: days since it ended.
    days: int = 0


@dataclass(frozen=True)
class Suggestion:
    kind: str  # a goodwill kind, or "repair" (covered by warranty)
    code: str  # why, e.g. "repeat_replace"; worded by the inbox
    percent: int | None = None  # the share of the cost to pay, for a contribution


def entitlement(
    purchase_date: dt.date | None, warranty_ends: dt.date | None, today: dt.date
) -> Entitlement:
    """The warranty state on ``today``; no order (no dates) is its own state."""
    if purchase_date is None or warranty_ends is None:
        return Entitlement("no_order")
    if today <= warranty_ends:
        return Entitlement(
            "in_warranty", purchase_date, warranty_ends, (warranty_ends - today).days
        )
    return Entitlement("expired", purchase_date, warranty_ends, (today - warranty_ends).days)


def contribution_percent(days_expired: int) -> int:
    """Just out of warranty weighs nearly like in warranty: the share falls as time passes."""
    if days_expired <= 30:
        return 75
    if days_expired <= 90:
        return 50
    return 25


def suggest(entitlement: Entitlement, severity: str, repeat: bool) -> list[Suggestion]:
    """The gestures to offer, best first."""
    out: list[Suggestion] = []
    if severity == "critical":
        # Health or safety: no haggling over dates; make it right at once and generously.
        # A repeat changes nothing here: this already is replacement or refund.
        return [
            Suggestion("replacement", "critical_replace"),
            Suggestion("refund", "critical_refund"),
            Suggestion("credit", "critical_credit"),
        ]
    state = entitlement.state
    if state == "in_warranty":
        if repeat:
            # Another repair of the same fault does not help: replace or refund.
            out += [
                Suggestion("replacement", "repeat_replace"),
                Suggestion("refund", "repeat_refund"),
            ]
        else:
            out.append(Suggestion("repair", "warranty_repair"))
            if severity == "high":
                out.append(Suggestion("loan_device", "high_loan"))
    elif state == "expired":
        if entitlement.days <= CONTRIBUTION_DAYS:
            percent = contribution_percent(entitlement.days)
            if repeat:
                out.append(Suggestion("replacement", "expired_repeat_replace", percent))
            out.append(Suggestion("credit", "expired_contribution", percent))
            if severity == "high":
                out.append(Suggestion("loan_device", "high_loan"))
        else:
            out.append(Suggestion("credit", "long_expired_credit"))
    else:
        out.append(Suggestion("credit", "no_order_credit"))
    return out
