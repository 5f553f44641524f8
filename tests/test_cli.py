"""The `balie` command line, run as a user would: a real process with BALIE_* settings."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from balie.app import create_app
from balie.settings import Settings
from balie.store.database import Database

BALIE = [sys.executable, "-m", "balie"]


def run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BALIE, *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("BALIE_")}
    return {**base, "BALIE_DATA_DIR": str(tmp_path), "BALIE_LOG_LEVEL": "WARNING"}


def test_agent_and_token_commands_give_a_working_api_token(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run(["migrate"], env).returncode == 0
    made = run(
        [
            "agent",
            "create",
            "--email",
            "Lotte@Balie-Demo.nl",
            "--role",
            "supervisor",
            "--password-stdin",
        ],
        env,
        stdin="een lang wachtwoord\n",
    )
    assert made.returncode == 0, made.stderr
    assert "lotte@balie-demo.nl" in made.stdout
    token = run(["token", "create", "--agent", "lotte@balie-demo.nl"], env)
    assert token.returncode == 0 and token.stdout.startswith("balie_")

    async def call() -> httpx.Response:
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/balie.db")
        app = create_app(Settings(data_dir=tmp_path, log_level="WARNING"), db)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://balie.test"
        ) as client:
            r = await client.get(
                "/api/v1/conversations",
                headers={"Authorization": f"Bearer {token.stdout.strip()}"},
            )
        await db.dispose()
        return r

    import asyncio

    assert asyncio.run(call()).status_code == 200


def test_bad_cli_input_is_refused_and_creates_nothing(env: dict[str, str], tmp_path: Path) -> None:
    assert run(["migrate"], env).returncode == 0
    bad_role = run(
        ["agent", "create", "--email", "a@balie-demo.nl", "--role", "koning", "--password-stdin"],
        env,
        stdin="een lang wachtwoord\n",
    )
    assert bad_role.returncode == 1 and "Role must be one of" in bad_role.stderr
    short = run(
        ["agent", "create", "--email", "a@balie-demo.nl", "--password-stdin"], env, stdin="kort\n"
    )
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    no_agent = run(["token", "create", "--agent", "niemand@balie-demo.nl"], env)
    assert no_agent.returncode == 1 and "No agent" in no_agent.stderr
    with sqlite3.connect(tmp_path / "balie.db") as conn:
        assert conn.execute("SELECT count(*) FROM agents").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM audit_events").fetchone() == (0,)


def test_production_with_the_default_secret_will_not_start(env: dict[str, str]) -> None:
    r = run(["serve"], {**env, "BALIE_ENVIRONMENT": "production"})
    assert r.returncode == 2 and "BALIE_SECRET_KEY" in r.stderr


def test_demo_loads_once_and_audit_verify_notices_tampering(
    env: dict[str, str], tmp_path: Path
) -> None:
    first = run(["demo", "--no-serve"], env)
    assert first.returncode == 0, first.stderr
    assert "demo data loaded" in first.stdout and "demo@balie-demo.nl" in first.stdout
    assert "http://127.0.0.1:8000/" in first.stdout
    assert "already present" in run(["demo", "--no-serve"], env).stdout
    intact = run(["audit", "verify"], env)
    assert intact.returncode == 0 and "intact" in intact.stdout
    with sqlite3.connect(tmp_path / "balie.db") as conn:
        # The service workflows have something to show: an approval to decide, shared
        # macros, an incident on the widget, and running SLA clocks.
        assert conn.execute("SELECT kind, status FROM goodwill_actions").fetchall() == [
            ("refund", "pending_approval")
        ]
        assert conn.execute("SELECT count(*) FROM macros WHERE owner_id IS NULL").fetchone() == (2,)
        assert (
            conn.execute("SELECT incident FROM inboxes WHERE channel = 'chat'")
            .fetchone()[0]
            .startswith("Betalen met iDEAL")
        )
        running = conn.execute(
            "SELECT count(*) FROM conversations WHERE resolution_due_at IS NOT NULL"
        ).fetchone()[0]
        assert running > 0
    with sqlite3.connect(tmp_path / "balie.db") as conn:
        conn.execute('UPDATE audit_events SET after = \'{"status": "open"}\' WHERE seq = 7')
    broken = run(["audit", "verify"], env)
    assert broken.returncode == 1
    assert "audit entry 7" in broken.stderr and "altered" in broken.stderr
