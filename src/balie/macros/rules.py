"""What a macro may hold: its fields and the actions carried out when it is sent. Pure.

Each check raises `ValueError` with a message for the agent and the field it is about
(``args[1]``), so the action layer turns it into one clear 422.
"""

from __future__ import annotations

from typing import Any

from balie.conversations.rules import clean_tags
from balie.policy import mandate

LANGUAGES = ("nl", "en")
MAX_NAME = 100
MAX_BODY = 10_000
MAX_ACTIONS = 10
# One maximum for an amount of goodwill, wherever it is given.
MAX_AMOUNT_CENTS = mandate.MAX_CENTS
MAX_REASON = 500
# The kinds of goodwill Balie grants (balie.goodwill); checked here so a macro holding an
# unknown kind is refused when saved, not when a customer is waiting.
GOODWILL_KINDS = mandate.KINDS
# A macro sets a status without a time: snoozing needs one, so it is not offered.
MACRO_STATUSES = ("open", "pending", "resolved")


class BadMacro(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, field)
        self.message = message
        self.field = field


def _no_nul(text: str, what: str, field: str) -> None:
    # No text Balie stores may hold a NUL: PostgreSQL refuses it, and a macro that saves
    # but cannot be sent would fail in front of a waiting customer.
    if "\x00" in text:
        raise BadMacro(f"{what} holds a NUL character.", field)


def clean_name(name: str) -> str:
    _no_nul(name, "A macro's name", "name")
    name = " ".join(name.split())
    if not 1 <= len(name) <= MAX_NAME:
        raise BadMacro(f"A macro's name needs 1 to {MAX_NAME} characters.", "name")
    return name


def clean_language(language: str) -> str:
    if language not in LANGUAGES:
        raise BadMacro("A macro's language is nl or en.", "language")
    return language


def clean_body(body: str) -> str:
    _no_nul(body, "A macro's text", "body")
    body = body.replace("\r\n", "\n").strip()
    if not 1 <= len(body) <= MAX_BODY:
        raise BadMacro(f"A macro's text needs 1 to {MAX_BODY:,} characters.", "body")
    return body


def _only(entry: dict[str, Any], keys: set[str], where: str) -> None:
    extra = sorted(set(entry) - keys)
    if extra:
        raise BadMacro(f"{where}: unknown field {extra[0]!r}.", "actions")
    missing = sorted(keys - set(entry))
    if missing:
        raise BadMacro(f"{where}: {missing[0]!r} is missing.", "actions")


def _clean_action(entry: Any, where: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise BadMacro(f"{where}: an action is an object with a type.", "actions")
    for key, value in entry.items():
        if isinstance(value, str):
            _no_nul(value, f"{where}: {key}", "actions")
    kind = entry.get("type")
    if kind == "tag":
        _only(entry, {"type", "tag"}, where)
        tag = entry["tag"]
        if not isinstance(tag, str):
            raise BadMacro(f"{where}: tag is text.", "actions")
        try:
            (clean,) = clean_tags([tag])
        except ValueError as exc:
            raise BadMacro(f"{where}: {exc}", "actions") from exc
        return {"type": "tag", "tag": clean}
    if kind == "status":
        _only(entry, {"type", "status"}, where)
        if entry["status"] not in MACRO_STATUSES:
            raise BadMacro(f"{where}: status is one of {', '.join(MACRO_STATUSES)}.", "actions")
        return {"type": "status", "status": entry["status"]}
    if kind == "goodwill":
        _only(entry, {"type", "kind", "amount_cents", "reason"}, where)
        if entry["kind"] not in GOODWILL_KINDS:
            raise BadMacro(
                f"{where}: goodwill kind is one of {', '.join(GOODWILL_KINDS)}.", "actions"
            )
        amount = entry["amount_cents"]
        if (
            not isinstance(amount, int)
            or isinstance(amount, bool)
            or not 0 <= amount <= MAX_AMOUNT_CENTS
        ):
            raise BadMacro(
                f"{where}: amount_cents is a whole number from 0 to {MAX_AMOUNT_CENTS}.",
                "actions",
            )
        reason = entry["reason"]
        if not isinstance(reason, str) or not 1 <= len(reason.strip()) <= MAX_REASON:
            raise BadMacro(f"{where}: a reason of 1 to {MAX_REASON} characters.", "actions")
        return {
            "type": "goodwill",
            "kind": entry["kind"],
            "amount_cents": amount,
            "reason": reason.strip(),
        }
    raise BadMacro(f"{where}: type is tag, status or goodwill.", "actions")


def clean_actions(actions: Any) -> list[dict[str, Any]]:
    if not isinstance(actions, list):
        raise BadMacro("actions is a list.", "actions")
    if len(actions) > MAX_ACTIONS:
        raise BadMacro(f"At most {MAX_ACTIONS} actions per macro.", "actions")
    cleaned = [_clean_action(a, f"actions[{i}]") for i, a in enumerate(actions)]
    if sum(1 for a in cleaned if a["type"] == "status") > 1:
        raise BadMacro("A macro sets at most one status.", "actions")
    return cleaned
