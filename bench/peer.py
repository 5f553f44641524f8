"""The django-helpdesk peer, driven by our load client for the creation comparison.

It reuses the pieces of the peer harness in /work/shared/peers/django-helpdesk (its
pinned requirements, Django project, ``bench_setup.py`` and gunicorn with two workers)
but writes nothing there: its database and logs go under the work directory given.
Only ticket creation is measured here (``POST /helpdesk/api/tickets/``), on an empty
database, like the harness's own phase A.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

PEER_DIR = Path("/work/shared/peers/django-helpdesk")
VENV = Path("/tmp/peer-venv")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def ensure_venv(peer_dir: Path = PEER_DIR, venv: Path = VENV) -> str:
    """Build the peer's virtualenv from its pinned requirements if it is missing."""
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"peer: building {venv} (pip install, a minute)", file=sys.stderr, flush=True)
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "-r", str(peer_dir / "requirements.txt")],
            check=True,
            timeout=900,
        )
    freeze = subprocess.run(
        [str(venv / "bin" / "pip"), "freeze"], capture_output=True, text=True, check=True
    ).stdout
    wanted = ("django", "gunicorn", "djangorestframework", "psycopg")
    return ", ".join(
        line for line in freeze.splitlines() if line.lower().split("==")[0].startswith(wanted)
    )


def _reset_postgres() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as con:
        con.execute("DROP DATABASE IF EXISTS hd_bench WITH (FORCE)")
        exists = con.execute("SELECT 1 FROM pg_roles WHERE rolname = 'hd_bench'").fetchone()
        if not exists:
            con.execute("CREATE ROLE hd_bench LOGIN PASSWORD 'hd_bench'")
        con.execute("CREATE DATABASE hd_bench OWNER hd_bench")


@contextmanager
def serving(
    backend: str, port: int, work: Path, peer_dir: Path = PEER_DIR, workers: int = 2
) -> Iterator[dict[str, Any]]:
    """A fresh peer database and its gunicorn server; yields token, queues and pid."""
    python = str(VENV / "bin" / "python")
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HD_DB": backend}
    if backend == "sqlite":
        db = work / "helpdesk.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        env["HD_SQLITE_PATH"] = str(db)
    else:
        _reset_postgres()
    hdproj = peer_dir / "hdproj"
    subprocess.run(
        [python, str(hdproj / "manage.py"), "migrate", "-v0"],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    creds = json.loads(
        subprocess.run(
            [python, str(peer_dir / "bench_setup.py")],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        ).stdout
    )
    log = work / f"gunicorn-{backend}.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [
                str(VENV / "bin" / "gunicorn"),
                "hdproj.wsgi:application",
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--timeout",
                "300",
                "--log-level",
                "warning",
            ],
            cwd=hdproj,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"peer server did not start:\n{log.read_text()[-2000:]}")
            try:
                httpx.get(f"http://127.0.0.1:{port}/helpdesk/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield {**creds, "pid": proc.pid, "workers": workers}
    finally:
        proc.terminate()  # SIGTERM to the gunicorn master stops its workers too
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
