"""balie.analysis stands alone: no web, no database, no clock it was not given."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import balie.analysis


def test_the_guardrails_import_nothing_from_the_web_or_the_database() -> None:
    probe = (
        "import sys, balie.analysis.triage, balie.analysis.coach, balie.analysis.contract\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'fastapi', 'starlette', 'aiosqlite', 'psycopg', 'uvicorn')"
        " or m.startswith(('balie.store', 'balie.web', 'balie.api', 'balie.conversations'))]\n"
        "print(','.join(bad))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_the_guardrails_never_read_the_clock_themselves() -> None:
    package = Path(balie.analysis.__file__).parent
    clock = re.compile(r"\b(datetime\.now|dt\.datetime\.now|utcnow|time\.time|date\.today)\(")
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if clock.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
