"""`balie serve` as a real process: it serves, and on SIGTERM finishes what is in flight."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.conftest import new_conversation


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _balie(args: list[str], env: dict[str, str], stdin: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-m", "balie", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def _prepare(tmp_path: Path, **extra: str) -> tuple[dict[str, str], str, str]:
    """Settings for a server of our own, a migrated database and an agent's API token."""
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BALIE_")},
        "BALIE_DATA_DIR": str(tmp_path),
        "BALIE_PORT": str(port),
        "BALIE_LOG_LEVEL": "WARNING",
        **extra,
    }
    _balie(["migrate"], env)
    _balie(
        ["agent", "create", "--email", "lotte@balie-demo.nl", "--password-stdin"],
        env,
        stdin="een lang wachtwoord\n",
    )
    token = _balie(["token", "create", "--agent", "lotte@balie-demo.nl"], env)
    return env, token, f"http://127.0.0.1:{port}"


def _wait_until_healthy(base: str) -> None:
    for _ in range(100):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("balie serve did not come up")


def test_sigterm_lets_a_request_in_flight_finish_and_commit(tmp_path: Path) -> None:
    env, token, base = _prepare(tmp_path)
    server = subprocess.Popen(
        [sys.executable, "-m", "balie", "serve", "--no-migrate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_until_healthy(base)

        body = json.dumps(new_conversation(subject="Onderweg bij het stoppen")).encode()
        half_sent = threading.Event()

        def slow_body() -> Iterator[bytes]:
            # Half the body now, the rest after the server was told to stop.
            yield body[: len(body) // 2]
            half_sent.set()
            time.sleep(1.0)
            yield body[len(body) // 2 :]

        def stop_when_half_sent() -> None:
            half_sent.wait(10)
            time.sleep(0.2)
            server.send_signal(signal.SIGTERM)

        stopper = threading.Thread(target=stop_when_half_sent)
        stopper.start()
        response = httpx.post(
            f"{base}/api/v1/conversations",
            content=slow_body(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=20,
        )
        stopper.join()
        assert response.status_code == 201, response.text
        # uvicorn re-raises the signal once it has shut down cleanly.
        assert server.wait(timeout=30) in (0, -signal.SIGTERM)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    with sqlite3.connect(tmp_path / "balie.db") as conn:
        subjects = [r[0] for r in conn.execute("SELECT subject FROM conversations")]
    assert subjects == ["Onderweg bij het stoppen"]


def test_several_worker_processes_serve_one_database(tmp_path: Path) -> None:
    env, token, base = _prepare(tmp_path, BALIE_WORKERS="2")
    server = subprocess.Popen(
        [sys.executable, "-m", "balie", "serve", "--no-migrate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    headers = {"Authorization": f"Bearer {token}"}
    try:
        _wait_until_healthy(base)
        with httpx.Client(base_url=base, headers=headers, timeout=20) as client:
            codes = [
                client.post(
                    "/api/v1/conversations",
                    json=new_conversation(customer={"email": f"k{n}@example.nl"}),
                ).status_code
                for n in range(20)
            ]
            listed = client.get("/api/v1/conversations", params={"limit": 100}).json()
        assert codes == [201] * 20
        assert len(listed["items"]) == 20
        children = subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(children) >= 2  # the worker processes
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
