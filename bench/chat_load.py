"""Load benchmark of Balie's live chat against a real ``balie serve`` process.

For each number of visitors (``--visitors 1000,5000``), every visitor has a socket and a
conversation of its own, sends messages and gets agents' replies:

  paced      ``--rate`` visitor messages/s in all (round robin over the visitors) for
             ``--duration`` seconds; one in ``--reply-every`` is answered by an agent
             (Balie: ``POST /api/v1/conversations/{id}/messages``). Latency of the ``ack``
             (persisted) and of the reply's delivery to the visitor's socket.
  saturated  for ``--saturate`` seconds each visitor sends its next message as soon as the
             last is acknowledged: the most messages/s the server takes (for Balie no
             faster than the per-visitor limit of 20 in 10 s allows).
  verify     every visitor reconnects with ``after=0`` and checks the stored conversation:
             ``lost`` (acknowledged or replied with 201, then missing) and ``duplicated``
             (a message stored twice, or a ``seq`` received twice on one socket) must be 0.

The same load generator drives ``bench/bare_ws.py`` (the same protocol on the ``websockets``
library alone, no database) in the same run; Balie's saturated throughput is reported as a
ratio of it. With the shared websocket-limit harness present (/work/shared/peers/ws-limit),
its plain broadcast figures are measured beside ours too. Server RSS and CPU come from /proc.

Prints one JSON document on stdout (progress on stderr); ``--out`` writes it to a file too.

    .venv/bin/python bench/chat_load.py [--quick] [--backend sqlite|postgres|all]
        [--visitors 1000,5000] [--duration 30] [--rate 500] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import chat_worker
import server
from chat_worker import Share, Target, Timeline, mono

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WS_LIMIT = Path("/work/shared/peers/ws-limit")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
# The aims, at 1,000 visitors on one 2-core machine.
AIM_VISITORS = 1000
AIM_P99_MS = 100.0
AIM_BARE_RATIO = 0.5
AIM_RSS_MB = 300.0
# The per-visitor limit of docs/chat-protocol.md: 20 messages in 10 seconds.
VISITOR_LIMIT_PER_S = 2.0


def log(message: str) -> None:
    print(f"[chat {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---- /proc --------------------------------------------------------------------------------


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def thread_cpu_seconds(pid: int, tid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        fields = text.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError):
        return 0.0


def postgres_cpu_seconds() -> float:
    """CPU of every PostgreSQL process on the machine (the service is shared: other work
    shows up here too, so it is a ceiling on what the benchmark caused)."""
    total = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                text = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            name, rest = text.split("(", 1)[1].rsplit(")", 1)
            if name.startswith("postgres"):
                fields = rest.split()
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    tick = os.sysconf("SC_CLK_TCK")
    return (total - idle) / tick, total / tick


class Sampler:
    """Peak RSS of a process tree, sampled every quarter second in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self.last_kb = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stop.is_set():
            self.last_kb = sum(rss_kb(p) for p in server.tree_pids(self.pid))
            self.peak_kb = max(self.peak_kb, self.last_kb)
            self.stop.wait(0.25)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


class Clock:
    """CPU readings at the edges of each phase: server, load generator, PostgreSQL, machine."""

    def __init__(self, server_pid: int, client_pids: list[int], postgres: bool) -> None:
        self.server_pid = server_pid
        self.client_pids = client_pids
        self.postgres = postgres
        self.marks: dict[str, dict[str, float]] = {}

    def mark(self, name: str) -> None:
        busy, total = machine_busy()
        self.marks[name] = {
            "t": time.monotonic(),
            "server": server.tree_cpu_seconds(self.server_pid),
            "server_main": thread_cpu_seconds(self.server_pid, self.server_pid),
            "clients": sum(server.tree_cpu_seconds(p) for p in self.client_pids),
            "postgres": postgres_cpu_seconds() if self.postgres else 0.0,
            "busy": busy,
            "total": total,
        }

    def between(self, start: str, end: str) -> dict[str, Any]:
        a, b = self.marks[start], self.marks[end]
        wall = b["t"] - a["t"]

        def pct(key: str) -> float:
            return round(100 * (b[key] - a[key]) / wall, 1) if wall else 0.0

        out = {
            "server_cpu_s": round(b["server"] - a["server"], 2),
            "server_cpu_pct": pct("server"),
            # The event loop's thread; the rest is other threads (aiosqlite runs each
            # connection's queries in a thread of its own) and child processes.
            "server_loop_thread_cpu_pct": pct("server_main"),
            "loadgen_cpu_pct": pct("clients"),
            "machine_busy_pct_of_all_cores": (
                round(100 * (b["busy"] - a["busy"]) / (b["total"] - a["total"]), 1)
                if b["total"] > a["total"]
                else None
            ),
        }
        if self.postgres:
            out["postgres_cpu_pct"] = pct("postgres")
        return out


# ---- figures ------------------------------------------------------------------------------


def percentiles(raw: list[bytes]) -> dict[str, float | int | None]:
    from array import array

    values = array("q")
    for chunk in raw:
        values.frombytes(chunk)
    ordered = sorted(values)
    n = len(ordered)

    def at(p: float) -> float | None:
        if not n:
            return None
        k = max(0, min(n - 1, round(p / 100 * n + 0.5) - 1))
        return round(ordered[k] / 1e6, 2)

    return {
        "n": n,
        "p50": at(50),
        "p95": at(95),
        "p99": at(99),
        "max": round(ordered[-1] / 1e6, 2) if n else None,
    }


def summarise(
    results: list[dict[str, Any]],
    windows: dict[str, float],
    cpu: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    def total(key: str, phase: str) -> int:
        return sum(int(r["phases"][phase][key]) for r in results)

    def merged(key: str, phase: str) -> dict[str, Any]:
        return percentiles([r["phases"][phase][key] for r in results])

    phases: dict[str, Any] = {}
    for phase, seconds in windows.items():
        if seconds <= 0:
            continue
        acks = total("acks_in_window", phase)
        replies = total("replies_in_window", phase)
        server_cpu = cpu.get(phase, {}).get("server_cpu_s")
        phases[phase] = {
            "seconds": round(seconds, 2),
            "sent": total("sent", phase),
            "msgs_per_s": round(acks / seconds, 1),
            "replies_delivered_per_s": round(replies / seconds, 1),
            "ack_ms": merged("ack", phase),
            "delivery_ms": merged("delivery", phase),
            "reply_post_ms": merged("post", phase),
            "replies_sent": total("replies_sent", phase),
            "replies_committed": total("replies_ok", phase),
            # Server CPU per visitor message (its share of the replies included): a figure
            # that other work on this shared machine disturbs less than messages/s.
            "server_cpu_ms_per_msg": (
                round(server_cpu * 1000 / acks, 3) if server_cpu is not None and acks else None
            ),
            **cpu.get(phase, {}),
        }
        if phase == "paced":
            lag = merged("lag", phase)
            phases[phase]["generator_late_ms"] = {"p99": lag["p99"], "max": lag["max"]}
            stops = [r["phases"][phase]["stopped_at_s"] for r in results]
            stopped = [x for x in stops if x is not None]
            # The generator stopped sending here: the server was --max-backlog behind.
            phases[phase]["sending_stopped_overloaded_at_s"] = min(stopped) if stopped else None
    start = merged("ack", "connect")
    count: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    closes: Counter[str] = Counter()
    frames: Counter[str] = Counter()
    verify: Counter[str] = Counter()
    for r in results:
        count.update(r["count"])
        errors.update(r["errors"])
        closes.update(r["closes"])
        frames.update(r["frames"])
        verify.update(r["verify"])
    lost = verify["lost_acked"] + verify["lost_replies"]
    duplicated = (
        verify["stored_twice"]
        + verify["replay_dup_seq"]
        + count["dup_seq_live"]
        + count["dup_reply_live"]
        + count["ack_seq_changed"]
    )
    samples: list[str] = []
    for r in results:
        samples.extend(r["samples"])
    return {
        "joined": sum(r["joined"] for r in results),
        "start_ack_ms": start,
        **phases,
        "lost": lost,
        "duplicated": duplicated,
        "integrity": {
            "verified_conversations": verify["verified"],
            "verify_failed": verify["verify_failed"],
            "replayed_messages": verify["replayed_messages"],
            "lost_acked": verify["lost_acked"],
            "lost_replies": verify["lost_replies"],
            "stored_twice": verify["stored_twice"],
            "replay_dup_seq": verify["replay_dup_seq"],
            "replay_out_of_order": verify["replay_out_of_order"],
            "seq_gaps": verify["seq_gaps"],
            "ack_seq_mismatch": verify["ack_seq_mismatch"],
            "dup_seq_live": count["dup_seq_live"],
            "dup_reply_live": count["dup_reply_live"],
            "out_of_order_live": count["out_of_order_live"],
            "ack_seq_changed": count["ack_seq_changed"],
            "unacked_at_end": sum(r["unacked_at_end"] for r in results),
            "stored_never_acked": verify["stored_never_acked"],
            "replies_undelivered_live": sum(r["replies_undelivered_live"] for r in results),
            "live_missing": {
                k.split(":", 1)[1]: v for k, v in verify.items() if k.startswith("live_missing:")
            },
            "replay_authors": {
                k.split(":", 1)[1]: v for k, v in verify.items() if k.startswith("author:")
            },
        },
        "errors": sum(errors.values()) + count["start_not_acked"] + count["reconnect_failed"],
        "error_kinds": dict(errors),
        "events": {
            k: v
            for k, v in count.items()
            if k not in ("dup_seq_live", "dup_reply_live", "out_of_order_live", "ack_seq_changed")
        },
        "socket_closes": dict(closes),
        "frames_received": dict(frames),
        "drain_s": max((r["drain_s"] for r in results), default=None),
        "verify_s": max((r["verify_s"] for r in results), default=None),
        "loadgen_cpu_s": round(sum(r["cpu_s"] for r in results), 1),
        "error_samples": samples[:8],
    }


# ---- one load run -------------------------------------------------------------------------


def drive(
    target: Target,
    visitors: int,
    args: argparse.Namespace,
    server_pid: int,
    postgres: bool = False,
) -> dict[str, Any]:
    """Run the phases against a server that is up; returns the figures."""
    procs = args.procs or (1 if visitors <= 300 else 2 if visitors <= 2000 else 3)
    procs = max(1, min(procs, visitors))
    block = 2 + secrets.randbelow(250)  # a fresh 127.B.x.y range: no limit carried over
    numbers = list(range(visitors))
    chunks = [numbers[i::procs] for i in range(procs)]
    limited = target.kind == "balie"
    shares = [
        Share(
            worker=i,
            visitors=chunk,
            rate=args.rate * len(chunk) / visitors,
            reply_every=args.reply_every,
            min_interval_s=(1.0 / (VISITOR_LIMIT_PER_S * 0.9)) if limited else 0.0,
            address_block=block,
            connect_concurrency=args.connect_concurrency,
            join_timeout_s=args.connect_timeout,
            max_backlog_s=args.max_backlog,
            seed=1000 * i + visitors,
        )
        for i, chunk in enumerate(chunks)
    ]
    ctx = mp.get_context("fork")
    workers, pipes = [], []
    for share in shares:
        ours, theirs = ctx.Pipe()
        proc = ctx.Process(target=chat_worker.run_worker, args=(target, share, theirs))
        proc.start()
        workers.append(proc)
        pipes.append(ours)
    sampler = Sampler(server_pid)
    clock = Clock(server_pid, [p.pid for p in workers if p.pid], postgres)
    try:
        began = time.monotonic()
        clock.mark("connect_start")
        ready = []
        for pipe in pipes:
            if not pipe.poll(args.connect_timeout + 120):
                raise RuntimeError("a load worker did not finish connecting in time")
            ready.append(pipe.recv()[1])
        clock.mark("connected")
        connect_s = time.monotonic() - began
        rss_connected = sampler.last_kb
        joined = sum(r["joined"] for r in ready)
        log(f"{target.kind}: {joined}/{visitors} visitors joined in {connect_s:.1f} s")
        lead = 1_500_000_000
        start = mono() + lead
        t = Timeline(start, start + int(args.duration * 1e9), 0, 0)
        for pipe in pipes:
            pipe.send(("paced", t))
        for name, at in (("paced_start", t.paced_start), ("paced_end", t.paced_end)):
            time.sleep(max(0.0, (at - mono()) / 1e9))
            clock.mark(name)
        log(f"{target.kind}: paced phase done, draining")
        drained = []
        for pipe in pipes:
            if not pipe.poll(chat_worker.DRAIN_MAX_S + 300):
                raise RuntimeError("a load worker did not drain in time")
            drained.append(pipe.recv()[1])
        start = mono() + lead
        t = Timeline(t.paced_start, t.paced_end, start, start + int(args.saturate * 1e9))
        for pipe in pipes:
            pipe.send(("saturate", t))
        for name, at in (
            ("saturated_start", t.saturated_start),
            ("saturated_end", t.saturated_end),
        ):
            time.sleep(max(0.0, (at - mono()) / 1e9))
            clock.mark(name)
        log(f"{target.kind}: saturated phase done, draining and verifying")
        results = []
        for pipe in pipes:
            if not pipe.poll(chat_worker.DRAIN_MAX_S + args.connect_timeout + 300):
                raise RuntimeError("a load worker did not report in time")
            results.append(pipe.recv()[1])
        for proc in workers:
            proc.join(30)
    finally:
        sampler.close()
        for proc in workers:
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
    windows = {
        "paced": args.duration,
        "saturated": args.saturate,
    }
    cpu = {
        "connect": clock.between("connect_start", "connected"),
        "paced": clock.between("paced_start", "paced_end"),
    }
    if args.saturate > 0:
        cpu["saturated"] = clock.between("saturated_start", "saturated_end")
    figures = summarise(results, windows, cpu)
    if "paced" in figures:
        figures["paced"]["after_phase"] = {
            "drain_s": max(d["drain_s"] for d in drained),
            "unacked": sum(d["unacked_at_end"] for d in drained),
            "replies_undelivered": sum(d["replies_undelivered_live"] for d in drained),
        }
    return {
        "visitors": visitors,
        "target_rate": args.rate,
        "load_processes": procs,
        "connect_s": round(connect_s, 1),
        "connect": cpu["connect"],
        **figures,
        "server_peak_rss_mb": round(sampler.peak_kb / 1024, 1),
        "server_rss_connected_mb": round(rss_connected / 1024, 1),
    }


# ---- servers ------------------------------------------------------------------------------


@contextmanager
def bare_server(port: int, log_path: Path) -> Iterator[int]:
    with log_path.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, str(BENCH / "bare_ws.py"), "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_port(port, proc, log_path)
        yield proc.pid
    finally:
        stop(proc)


def wait_port(port: int, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log_path.read_text()[-2000:]}")
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    proc.send_signal(sig)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def balie_server(
    url: str, data_dir: Path, port: int, log_path: Path, profile: Path | None = None
) -> Iterator[int]:
    """``balie serve``; with ``profile``, under cProfile (slower: for finding where the
    server's time goes, not for figures), the statistics written there when it stops."""
    env = server.balie_env(url, data_dir, port)
    command = [str(server.BALIE), "serve", "--no-migrate"]
    if profile is not None:
        command = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "balie"]
        command += ["serve", "--no-migrate"]
    with log_path.open("w") as sink:
        proc = subprocess.Popen(
            command,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        server.wait_healthy(f"http://127.0.0.1:{port}/healthz", proc, log_path)
        yield proc.pid
    finally:
        # uvicorn raises the signal again once shut down: SIGINT becomes KeyboardInterrupt,
        # which lets cProfile write its statistics (SIGTERM would just end the process).
        stop(proc, signal.SIGINT if profile is not None else signal.SIGTERM)


async def create_people(url: str, agents: int) -> tuple[int, dict[str, str]]:
    """A team and its agents with API tokens, through the library (no API for teams)."""
    from balie.act import CLI, Act, utcnow
    from balie.agents.actions import create_agent, create_team, create_token
    from balie.store.database import Database

    db = Database(url)
    tokens: dict[str, str] = {}
    try:
        async with db.writing() as session:
            act = Act(session, CLI, utcnow())
            team = await create_team(act, name="Bench chat")
            for i in range(1, agents + 1):
                email = f"chat-agent{i}@bench.example.nl"
                name = f"Chat Agent {i}"
                await create_agent(
                    act, email=email, name=name, role="agent", password=None, team_id=team.id
                )
                tokens[name] = str(await create_token(act, agent_email=email, name="bench"))
            team_id = int(team.id)
    finally:
        await db.dispose()
    return team_id, tokens


async def create_inbox_library(url: str, team_id: int) -> str:
    from balie.act import CLI, Act, utcnow
    from balie.agents.actions import create_inbox
    from balie.store.database import Database

    db = Database(url)
    try:
        async with db.writing() as session:
            act = Act(session, CLI, utcnow())
            inbox = await create_inbox(act, team_id=team_id, name="Bench chat", channel="chat")
            return str(inbox.key)
    finally:
        await db.dispose()


def create_inbox(url: str, port: int, admin: str, team_id: int) -> tuple[str, str]:
    """(inbox key, how): through ``POST /api/v1/inboxes``, or the library without it."""
    response = httpx.post(
        f"http://127.0.0.1:{port}/api/v1/inboxes",
        json={"team_id": team_id, "name": "Bench chat", "channel": "chat"},
        headers={"Authorization": f"Bearer {admin}"},
        timeout=30,
        trust_env=False,
    )
    if response.status_code in (200, 201):
        return str(response.json()["key"]), "POST /api/v1/inboxes"
    if response.status_code not in (404, 405):
        raise RuntimeError(f"POST /api/v1/inboxes: {response.status_code} {response.text}")
    return asyncio.run(create_inbox_library(url, team_id)), "library (no inbox API)"


def pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as con:
        con.execute(sql)  # names come from this script


@contextmanager
def database(backend: str, work: Path) -> Iterator[str]:
    if backend == "sqlite":
        path = work / "chat.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"balie_chat_bench_{secrets.token_hex(4)}"
    pg(f"CREATE DATABASE {name}")
    try:
        yield PG_URL.format(name=name)
    finally:
        pg(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run_balie(backend: str, visitors: int, args: argparse.Namespace) -> dict[str, Any]:
    work = args.work_dir / f"balie-{backend}-{visitors}"
    work.mkdir(parents=True, exist_ok=True)
    with database(backend, work) as url:
        admin, how = server.setup(url, work)
        team_id, tokens = asyncio.run(create_people(url, args.live_agents))
        profile = work / "serve.prof" if args.profile_server else None
        with balie_server(url, work, args.port, work / "serve.log", profile) as pid:
            key, inbox_how = create_inbox(url, args.port, admin, team_id)
            target = Target(
                kind="balie",
                host="127.0.0.1",
                port=args.port,
                inbox_key=key,
                admin_token=admin,
                agent_tokens=tokens,
                compression=None if args.compression == "none" else "deflate",
            )
            desk = start_desk(target, visitors, args) if tokens else None
            try:
                figures = drive(target, visitors, args, pid, postgres=backend == "postgres")
            finally:
                desk_result = finish_desk(desk)
            log_tail = (work / "serve.log").read_text(errors="replace")[-1500:]
    hot = top_functions(profile) if profile is not None else None
    return {
        "system": "balie",
        "backend": backend,
        **({"profile_top_cumulative": hot} if hot else {}),
        "server": "balie serve (uvicorn, 1 process)",
        "setup": f"{how}; inbox by {inbox_how}",
        "balie_commit": server.source_state(),
        **figures,
        "agents": desk_result,
        "server_log_tail": log_tail if log_tail.strip() else None,
    }


def top_functions(profile: Path, count: int = 40) -> list[str] | None:
    """The functions with the most cumulative time in the server's cProfile output."""
    import io
    import pstats

    if not profile.exists():
        return None
    out = io.StringIO()
    stats = pstats.Stats(str(profile), stream=out)
    stats.sort_stats("cumulative").print_stats(count)
    (profile.parent / "serve-profile.txt").write_text(out.getvalue())
    lines = [line.strip() for line in out.getvalue().splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if line.startswith("ncalls")), 0)
    return lines[start : start + count + 1]


def start_desk(target: Target, visitors: int, args: argparse.Namespace) -> tuple[Any, Any] | None:
    ctx = mp.get_context("fork")
    ours, theirs = ctx.Pipe()
    capacity = args.agent_capacity or visitors // max(1, len(target.agent_tokens)) + 10
    proc = ctx.Process(target=chat_worker.run_desk, args=(target, capacity, theirs))
    proc.start()
    if not ours.poll(60):
        proc.terminate()
        return None
    ready = ours.recv()[1]
    log(f"agents online: {ready['agents']} {ready['errors'] or ''}")
    return proc, ours


def finish_desk(desk: tuple[Any, Any] | None) -> dict[str, Any] | None:
    if desk is None:
        return None
    proc, pipe = desk
    pipe.send(("stop",))
    result = pipe.recv()[1] if pipe.poll(30) else None
    proc.join(10)
    if proc.is_alive():
        proc.terminate()
    return result


def run_bare(visitors: int, args: argparse.Namespace) -> dict[str, Any]:
    work = args.work_dir / f"bare-{visitors}"
    work.mkdir(parents=True, exist_ok=True)
    with bare_server(args.bare_port, work / "bare.log") as pid:
        target = Target(
            kind="bare",
            host="127.0.0.1",
            port=args.bare_port,
            compression=None if args.compression == "none" else "deflate",
        )
        figures = drive(target, visitors, args, pid)
    return {"system": "bare websockets", "server": "bench/bare_ws.py (uvloop)", **figures}


def run_ws_limit(visitors: int, args: argparse.Namespace) -> dict[str, Any] | None:
    """The shared harness's plain broadcast (one publisher, every client receives every
    message), measured beside ours: deliveries/s of the library with nothing else."""
    if not (WS_LIMIT / "client.py").exists():
        return None
    work = args.work_dir / f"ws-limit-{visitors}"
    work.mkdir(parents=True, exist_ok=True)
    out = work / "results.jsonl"
    out.unlink(missing_ok=True)
    log_path = work / "server.log"
    with log_path.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, str(WS_LIMIT / "server_websockets.py"), "--port", str(args.bare_port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_port(args.bare_port, proc, log_path)
        messages = 100 if visitors <= 1000 else 40
        done = subprocess.run(
            [
                sys.executable,
                str(WS_LIMIT / "client.py"),
                "--url",
                f"ws://127.0.0.1:{args.bare_port}",
                "--clients",
                str(visitors),
                "--messages",
                str(messages),
                "--rate",
                "0",
                "--compression",
                args.compression,
                "--procs",
                "2",
                "--timeout",
                "100",
                "--server-pid",
                str(proc.pid),
                "--label",
                f"ws-limit websockets n{visitors} burst-{args.compression}",
                "--out",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        stop(proc)
    if not out.exists():
        return {"error": (done.stdout + done.stderr)[-500:]}
    record = json.loads(out.read_text().splitlines()[-1])
    keep = (
        "label",
        "clients",
        "messages",
        "delivered",
        "lost",
        "gaps",
        "dups_or_reorder",
        "p50_ms",
        "p99_ms",
        "delivered_per_s",
        "server_cpu_us_per_delivery",
        "timed_out",
    )
    return {k: record.get(k) for k in keep}


# ---- the run ----------------------------------------------------------------------------


def aims(balie: dict[str, Any], bare: dict[str, Any] | None, rate: float) -> dict[str, Any]:
    paced = balie.get("paced", {})
    ack99 = paced.get("ack_ms", {}).get("p99")
    del99 = paced.get("delivery_ms", {}).get("p99")
    out: dict[str, Any] = {
        "rate_reached": paced.get("msgs_per_s", 0) >= 0.95 * rate,
        "ack_p99_under_100ms": ack99 is not None and ack99 < AIM_P99_MS,
        "delivery_p99_under_100ms": del99 is not None and del99 < AIM_P99_MS,
        "rss_under_300mb": balie["server_peak_rss_mb"] < AIM_RSS_MB,
        "nothing_lost_or_duplicated": balie["lost"] == 0 and balie["duplicated"] == 0,
    }
    ours = balie.get("saturated", {}).get("msgs_per_s")
    theirs = (bare or {}).get("saturated", {}).get("msgs_per_s")
    if ours and theirs:
        out["half_of_bare"] = ours / theirs >= AIM_BARE_RATIO
    return out


def machine() -> dict[str, Any]:
    import websockets

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpu_count": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "websockets": websockets.__version__,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "nofile_limit": chat_worker.raise_fd_limit(),
    }


def snapshot_source(work: Path) -> tuple[str, Path]:
    """A copy of the live tree's src/ as it is now, so edits made during the run (others
    work in this tree) do not reach the server halfway."""
    import shutil

    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = work / f"snapshot-{stamp}"
    shutil.copytree(
        REPO / "src", target / "src", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    return f"{head}+worktree snapshot {stamp}", target / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", default="1000,5000", help="comma-separated")
    parser.add_argument("--duration", type=float, default=30.0, help="paced phase, seconds")
    parser.add_argument("--rate", type=float, default=500.0, help="visitor messages/s in all")
    parser.add_argument(
        "--saturate", type=float, default=15.0, help="saturated phase, seconds (0: none)"
    )
    parser.add_argument("--reply-every", type=int, default=5, help="1 in N messages answered")
    parser.add_argument(
        "--max-backlog",
        type=float,
        default=5.0,
        help="paced phase: stop sending once this many seconds' worth of messages are "
        "unanswered (the server cannot keep up; a bigger backlog only lengthens the run)",
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="100 visitors, 10 s, a smoke run")
    parser.add_argument("--procs", type=int, default=0, help="load processes (0: by visitors)")
    parser.add_argument(
        "--live-agents",
        type=int,
        default=2,
        help="agents online with a live socket (Balie); the other chats wait in the queue",
    )
    parser.add_argument(
        "--agent-capacity",
        type=int,
        default=5,
        help="chats per online agent (0: room for every visitor)",
    )
    parser.add_argument("--compression", choices=("deflate", "none"), default="deflate")
    parser.add_argument("--connect-concurrency", type=int, default=50, help="per load process")
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=900.0,
        help="seconds for all visitors to join; the ones that have not are left out",
    )
    parser.add_argument("--no-bare", action="store_true", help="skip bench/bare_ws.py")
    parser.add_argument("--no-balie", action="store_true", help="only the bare server")
    parser.add_argument("--no-ws-limit", action="store_true", help="skip the shared harness")
    parser.add_argument(
        "--profile-server",
        action="store_true",
        help="run balie serve under cProfile (slows it: for diagnosis, not figures)",
    )
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/balie-chat-bench"))
    parser.add_argument("--port", type=int, default=8310)
    parser.add_argument("--bare-port", type=int, default=8311)
    parser.add_argument(
        "--source",
        default="HEAD",
        help="git revision of Balie to serve (default HEAD: committed code, exported as "
        "bench/api.py --source does, since others edit the live tree), 'snapshot' (a copy "
        "of the live src/ taken at the start) or 'worktree' (the live tree itself)",
    )
    args = parser.parse_args()
    if args.source != "worktree" and "BALIE_BENCH_SOURCE" not in os.environ:
        if args.source == "snapshot":
            commit, src = snapshot_source(args.work_dir)
        else:
            commit, src = server.export_source(args.source, args.work_dir)
        env = {**os.environ, "PYTHONPATH": str(src), "BALIE_BENCH_SOURCE": commit}
        script = str(Path(__file__).resolve())
        os.execve(sys.executable, [sys.executable, script, *sys.argv[1:]], env)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.quick:
        args.visitors = "100"
        args.duration = 10.0
        args.saturate = min(args.saturate, 5.0)
        if args.rate == 500.0:
            args.rate = 100.0  # 1 message/s per visitor: inside the per-visitor limit
    counts = [int(v) for v in str(args.visitors).split(",") if v.strip()]
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    args.work_dir.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    doc: dict[str, Any] = {
        "benchmark": "bench/chat_load.py",
        "machine": machine(),
        "settings": {
            "visitors": counts,
            "duration_s": args.duration,
            "rate": args.rate,
            "saturate_s": args.saturate,
            "reply_every": args.reply_every,
            "max_backlog_s": args.max_backlog,
            "live_agents": args.live_agents,
            "agent_capacity": args.agent_capacity,
            "compression": args.compression,
            "backends": backends,
            "quick": args.quick,
            "source": os.environ.get("BALIE_BENCH_SOURCE", "worktree"),
        },
        "scenarios": [],
    }
    for n in counts:
        per_visitor = args.rate / n
        if per_visitor > VISITOR_LIMIT_PER_S * 0.9:
            log(f"warning: {per_visitor:.1f} messages/s per visitor is near Balie's limit")
        scenario: dict[str, Any] = {"visitors": n}
        bare = None
        if not args.no_bare:
            log(f"=== bare websockets server, {n} visitors ===")
            started = time.monotonic()
            bare = run_bare(n, args)
            bare["run_s"] = round(time.monotonic() - started, 1)
            scenario["bare"] = bare
        if not args.no_balie:
            scenario["balie"] = {}
            for backend in backends:
                log(f"=== balie {backend}, {n} visitors ===")
                started = time.monotonic()
                try:
                    ours = run_balie(backend, n, args)
                except Exception as exc:
                    log(f"balie {backend} failed: {exc}")
                    scenario["balie"][backend] = {"failed": str(exc)[-3000:]}
                    continue
                ours["run_s"] = round(time.monotonic() - started, 1)
                scenario["balie"][backend] = ours
                ratio = None
                if bare and bare.get("saturated") and ours.get("saturated"):
                    theirs = bare["saturated"]["msgs_per_s"]
                    ratio = round(ours["saturated"]["msgs_per_s"] / theirs, 3) if theirs else None
                ours["throughput_ratio_to_bare"] = ratio
                if bare and bare.get("saturated") and ours.get("saturated"):
                    mine = ours["saturated"].get("server_cpu_ms_per_msg")
                    base = bare["saturated"].get("server_cpu_ms_per_msg")
                    # Bare CPU per message over Balie's: the throughput ratio both servers
                    # would reach with a core each to themselves.
                    ours["cpu_per_msg_ratio_bare_to_balie"] = (
                        round(base / mine, 3) if mine and base else None
                    )
                if ours.get("saturated"):
                    ceiling = round(n * VISITOR_LIMIT_PER_S * 0.9)
                    ours["saturated"]["per_visitor_limit_ceiling_msgs_per_s"] = ceiling
                ours["aims"] = aims(ours, bare, args.rate)
                if n != AIM_VISITORS:
                    ours["aims"]["note"] = f"the aims are stated for {AIM_VISITORS} visitors"
        if not args.no_ws_limit:
            log(f"=== ws-limit broadcast harness, {n} clients ===")
            try:
                scenario["ws_limit_broadcast"] = run_ws_limit(n, args)
            except Exception as exc:
                scenario["ws_limit_broadcast"] = {"error": str(exc)[-500:]}
        doc["scenarios"].append(scenario)
    doc["elapsed_s"] = round(time.monotonic() - began, 1)
    text = json.dumps(doc, indent=1)
    print(text, flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
        log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
