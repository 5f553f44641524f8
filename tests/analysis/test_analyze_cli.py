"""`balie analyze message|reply`: the JSON-lines contract that outside tooling relies on."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

MESSAGE_KEYS = {
    "id",
    "language",
    "sentiment",
    "anger",
    "abusive",
    "severity",
    "intent",
    "wants_human",
    "evidence",
}


def analyze(kind: str, lines: list[Any]) -> tuple[int, list[dict[str, Any]], str]:
    stdin = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    done = subprocess.run(
        [sys.executable, "-m", "balie", "analyze", kind],
        input=stdin + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, [json.loads(x) for x in done.stdout.splitlines()], done.stderr


def test_messages_are_triaged_one_line_each() -> None:
    code, out, _ = analyze(
        "message",
        [
            {"id": "a", "text": "Jullie zijn een stelletje oplichters, klootzakken!"},
            {"id": 2, "text": "De stekker begon te roken en vatte vlam, mijn zoon is gewond."},
            {"id": "c", "text": "Can I please talk to a real person?"},
        ],
    )
    assert code == 0
    assert [o["id"] for o in out] == ["a", 2, "c"]
    assert all(set(o) == MESSAGE_KEYS for o in out)
    assert out[0]["abusive"] is True and out[0]["language"] == "nl"
    assert out[1]["severity"] == "critical"
    assert out[2]["wants_human"] is True and out[2]["language"] == "en"
    assert all(isinstance(o[k], bool) for o in out for k in ("anger", "abusive", "wants_human"))
    span = out[0]["evidence"][0]
    assert {"start", "end", "label", "reason"} <= set(span)


def test_replies_are_coached_with_promises_due_from_now() -> None:
    code, out, _ = analyze(
        "reply",
        [
            {
                "id": 1,
                "text": "Rustig aan, dat had u zelf moeten lezen.",
                "context": {"customer_upset": True},
            },
            {
                "id": 2,
                "text": "Excuses! U ontvangt morgen voor 12:00 een nieuw toestel.",
                "context": {"customer_upset": True},
                "now": "2026-11-23T15:00:00+01:00",
            },
        ],
    )
    assert code == 0
    first, second = out
    assert first["verdict"] in ("warn", "block")
    assert "blame_customer" in {f["kind"] for f in first["flags"]}
    assert all(
        {"kind", "start", "end", "explanation", "suggestion"} <= set(f) for f in first["flags"]
    )
    assert second["verdict"] == "ok"
    assert second["promises"][0]["due"].startswith("2026-11-24T12:00")


def test_bad_lines_get_an_error_and_the_rest_is_still_answered() -> None:
    code, out, err = analyze(
        "reply",
        [
            "{not json",
            {"id": "x", "text": 42},
            {"id": "y", "text": "Prima, ik regel het.", "context": {"severity": "enorm"}},
            {"id": "z", "text": "Ik regel het vandaag nog voor u."},
            {"id": "n", "text": "Morgen", "now": "gisteren"},
        ],
    )
    assert code != 0 and "4 line(s)" in err
    assert [o["id"] for o in out] == [None, "x", "y", "z", "n"]
    assert [("error" in o) for o in out] == [True, True, True, False, True]
    assert "text" in out[1]["error"] and "severity" in out[2]["error"]
    assert out[3]["verdict"] == "ok"
