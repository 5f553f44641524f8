"""The hand-written evaluation sets in bench/data are well formed. A data test, not a test
of the guardrails: a broken label here would make every figure in docs/guardrails.md wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import pytest

from balie.analysis.model import FlagKind, Intent, Severity

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"
CONTEXT_KEYS = {"customer_upset", "severity", "company_at_fault", "internal", "customer_abusive"}


def _rows(name: str) -> list[dict[str, Any]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.mark.parametrize("name", ["reply_flags.jsonl", "triage_cases.jsonl"])
def test_ids_unique_and_both_languages(name: str) -> None:
    rows = _rows(name)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    langs = [r["language"] for r in rows]
    assert set(langs) == {"nl", "en"}
    assert min(langs.count("nl"), langs.count("en")) >= 0.4 * len(rows)
    assert all(r["text"].strip() for r in rows)


def test_reply_flags() -> None:
    rows = _rows("reply_flags.jsonl")
    assert len(rows) >= 200
    kinds = set(get_args(FlagKind))
    seen: set[str] = set()
    for r in rows:
        assert set(r["context"]) == CONTEXT_KEYS, r["id"]
        assert r["context"]["severity"] in get_args(Severity), r["id"]
        assert set(r["flags"]) <= kinds, r["id"]
        seen.update(r["flags"])
        want = "block" if "insult" in r["flags"] else "warn" if r["flags"] else "ok"
        assert r["verdict"] == want, r["id"]
        # no_apology means "upset and no apology at all"; it cannot apply otherwise
        if "no_apology" in r["flags"]:
            assert r["context"]["customer_upset"], r["id"]
    assert seen == kinds
    assert sum(r["verdict"] == "ok" for r in rows) >= 0.35 * len(rows)


def test_triage_cases() -> None:
    rows = _rows("triage_cases.jsonl")
    assert len(rows) >= 100
    for r in rows:
        assert r["severity"] in get_args(Severity), r["id"]
        assert r["intent"] is None or r["intent"] in get_args(Intent), r["id"]
        for key in ("wants_human", "abusive", "anger"):
            assert r[key] is None or isinstance(r[key], bool), r["id"]
    assert {r["severity"] for r in rows} == set(get_args(Severity))
    assert {r["intent"] for r in rows} - {None} == set(get_args(Intent))
    assert sum(r["tag"] == "innocent" for r in rows) >= 10
