"""Preparing a Balie database and running ``balie serve`` as a real process.

The ``balie`` commands (``migrate``, ``agent create``, ``token create``, ``serve``) are
used when the installed CLI has them. While it did not, the same steps ran through the
library (``fallback_*``) and uvicorn on ``bench/asgi.py``; they stay as the fallback so
the benchmark also runs against a tree without the CLI.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENV_BIN = Path(sys.executable).parent
BALIE = VENV_BIN / "balie"
ADMIN_EMAIL = "bench-admin@bench.example.nl"
ADMIN_PASSWORD = "bench-password-not-secret"


def balie_env(
    url: str, data_dir: Path, port: int, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The server's environment: ours, minus any BALIE_* setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BALIE_")}
    env.update(
        BALIE_DATABASE_URL=url,
        BALIE_DATA_DIR=str(data_dir),
        BALIE_HOST="127.0.0.1",
        BALIE_PORT=str(port),
        BALIE_LOG_LEVEL="WARNING",
    )
    env.update(extra or {})
    return env


@lru_cache
def cli_has(*words: str) -> bool:
    """Whether ``balie WORDS --help`` works (the CLI is being written alongside)."""
    if not BALIE.exists():
        return False
    done = subprocess.run(
        [str(BALIE), *words, "--help"], capture_output=True, text=True, timeout=60
    )
    return done.returncode == 0


def _run(args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run(args, env=env, input=stdin, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


async def _fallback_setup(url: str) -> str:
    from balie.act import CLI, Act, utcnow
    from balie.agents.actions import create_agent, create_token
    from balie.store.database import Database
    from balie.store.migrate import migrate

    db = Database(url)
    try:
        await migrate(db)
        async with db.writing() as session:
            act = Act(session, CLI, utcnow())
            await create_agent(
                act, email=ADMIN_EMAIL, name="Bench", role="admin", password=ADMIN_PASSWORD
            )
            token = await create_token(act, agent_email=ADMIN_EMAIL, name="bench")
    finally:
        await db.dispose()
    return str(token)


def setup(url: str, data_dir: Path) -> tuple[str, str]:
    """Migrate an empty database and create an admin with an API token.

    Returns (token, how) where ``how`` says whether the CLI or the fallback did it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = balie_env(url, data_dir, 8000)  # the port is not used by these commands
    if cli_has("migrate") and cli_has("agent", "create") and cli_has("token", "create"):
        _run([str(BALIE), "migrate"], env)
        _run(
            [
                str(BALIE),
                "agent",
                "create",
                "--email",
                ADMIN_EMAIL,
                "--role",
                "admin",
                "--password-stdin",
            ],
            env,
            stdin=ADMIN_PASSWORD + "\n",
        )
        out = _run([str(BALIE), "token", "create", "--agent", ADMIN_EMAIL], env)
        token = next(w for w in out.split() if w.startswith("balie_"))
        return token, "cli"
    return asyncio.run(_fallback_setup(url)), "fallback"


@contextmanager
def serving(
    url: str, data_dir: Path, port: int, log: Path, extra_env: dict[str, str] | None = None
) -> Iterator[dict[str, object]]:
    """Run the server until the block ends; yields its pid and how it was started.
    ``extra_env`` adds settings (``BALIE_SMTP_LISTEN``, say)."""
    env = balie_env(url, data_dir, port, extra_env)
    if cli_has("serve"):
        args, how = [str(BALIE), "serve"], "balie serve"
    else:
        args = [str(VENV_BIN / "python"), "-m", "uvicorn", "--factory", "asgi:create"]
        args += ["--app-dir", str(BENCH), "--host", "127.0.0.1", "--port", str(port)]
        args += ["--log-level", "warning", "--no-access-log"]
        how = "uvicorn bench/asgi.py (no balie serve yet)"
    with log.open("w") as sink:
        proc = subprocess.Popen(args, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", proc, log)
        yield {"pid": proc.pid, "how": how, "balie_commit": source_state()}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def source_state() -> str:
    """The Balie source the server runs: the exported revision (see ``api.py --source``),
    or the live tree's commit and whether src/ had changes on top of it."""
    exported = os.environ.get("BALIE_BENCH_SOURCE")
    if exported:
        return f"{exported} (exported)"
    repo = BENCH.parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", "src")
    return git("rev-parse", "--short", "HEAD") + ("+uncommitted src changes" if dirty else "")


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not healthy after {timeout}s:\n{log.read_text()[-3000:]}")


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a checkpointed SQLite file (no -wal/-shm beside it) to a fresh place."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


def tree_pids(root: int) -> list[int]:
    """A process and all its descendants (gunicorn or uvicorn workers, say)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children.get(pid, []))
    return out


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU of a process and its descendants."""
    total = 0
    for pid in tree_pids(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def export_source(revision: str, work: Path) -> tuple[str, Path]:
    """Balie's src/ at a revision, exported under the work directory (read-only on the
    repository: ``git archive``, no worktree, no checkout)."""
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", revision],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    target = work / f"source-{commit}"
    if not (target / "src" / "balie").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", commit, "src"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return commit, target / "src"
