"""no_apology: the customer is upset and the reply says sorry nowhere (D1).

Any apology counts here, qualified ones too: those get their own flag
(``qualified_apology``), and one problem should not be reported twice.
"""

from __future__ import annotations

from balie.analysis.model import Flag
from balie.analysis.rules.draft import Draft, Rule


def check(draft: Draft) -> list[Flag]:
    if not draft.context.customer_upset or not draft.text.strip():
        return []
    if draft.has("coach_apology") or draft.has("coach_qualified_apology"):
        return []
    start, end = draft.sentence_at(draft.sentences[0][0] if draft.sentences else 0)
    opener = draft.message("no_apology", "opener")
    return [draft.flag("no_apology", start, end, f"{opener} {draft.text[start:end]}")]


RULE = Rule("no_apology", check)
