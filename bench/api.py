"""Benchmark of Balie's HTTP API against a real ``balie serve`` process.

Measures, per backend (SQLite, PostgreSQL):
  create  POST /api/v1/conversations on an empty database, at concurrency 1, 4 and 16,
          and the same for django-helpdesk's ticket API in the same run (the peer);
  list    GET /api/v1/conversations with status/severity/tag/owner/channel filters over
          50,000 preloaded conversations;
  search  GET /api/v1/search?q= over 1,000,000 preloaded Dutch and English messages.

Prints one JSON object per measurement and a summary object last (stdout); progress
goes to stderr. Nothing is written into the repository: databases, logs and the cache
live under --work-dir and --cache-dir (/tmp), results only go to an explicit --out.

    .venv/bin/python bench/api.py --backend sqlite|postgres|all [--quick] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus
import loadgen
import peer
import preload
import server

BENCH = Path(__file__).resolve().parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
SEED = 42
# "Several times faster" read as at least three times the peer's requests per second.
CREATE_SPEEDUP_AIM = 3.0
LIST_P99_AIM_MS = 50.0
SEARCH_P95_AIM_MS = 50.0


@dataclass(frozen=True)
class Plan:
    """How much of everything one run does."""

    create_counts: dict[int, int]  # concurrency -> requests per round and system
    rounds: int  # creation rounds, alternating Balie and the peer
    conversations: int
    messages: int
    list_counts: dict[int, int]
    search_counts: dict[int, int]
    max_seconds: float
    warmup: int


FULL = Plan(
    create_counts={1: 100, 4: 600, 16: 600},
    rounds=3,
    conversations=50_000,
    messages=1_000_000,
    list_counts={1: 500, 4: 1000},
    search_counts={1: 300, 4: 600},
    max_seconds=110.0,
    warmup=10,
)
QUICK = Plan(
    create_counts={1: 30, 4: 100},
    rounds=2,
    conversations=2_000,
    messages=40_000,
    list_counts={1: 100, 4: 100},
    search_counts={1: 60, 4: 60},
    max_seconds=20.0,
    warmup=3,
)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def emit(record: dict[str, Any], records: list[dict[str, Any]]) -> None:
    records.append(record)
    print(json.dumps(record), flush=True)


# ---- requests ---------------------------------------------------------------------------


def new_conversation(i: int) -> tuple[dict[str, Any], corpus.Thread]:
    """Request body number i: a deterministic customer (5,000 distinct, so repeat
    contacts happen as they do in a real inbox) with a first message."""
    rng = random.Random(f"create:{i}")
    name, email = corpus.person(random.Random(f"customer:{i % 5000}"), i % 5000)
    thread = corpus.Thread(
        rng, language=rng.choice(("nl", "nl", "en")), first=name.split()[0], agent="Balie"
    )
    body = {
        "customer": {"name": name, "email": email},
        "subject": thread.subject(),
        "message": {"text": thread.customer_message()},
    }
    return body, thread


def balie_create(i: int) -> loadgen.Request:
    body, _ = new_conversation(i)
    return loadgen.Request("POST", "/api/v1/conversations", body, expect_status=201)


def peer_create(queues: list[int]) -> loadgen.RequestMaker:
    def make(i: int) -> loadgen.Request:
        body, _ = new_conversation(i)
        ticket = {
            "queue": queues[i % len(queues)],
            "title": body["subject"],
            "description": body["message"]["text"],
            "submitter_email": body["customer"]["email"],
            "priority": 1 + i % 5,
        }
        return loadgen.Request("POST", "/helpdesk/api/tickets/", ticket, expect_status=201)

    return make


def list_paths(agent_ids: list[int], count: int = 60) -> list[str]:
    """Inbox filter combinations: always open, plus a random subset of the others."""
    rng = random.Random(f"{SEED}:list")
    paths = []
    for _ in range(count):
        query: dict[str, str] = {"status": "open"}
        if rng.random() < 0.5:
            query["severity"] = rng.choice(("normal", "high", "critical"))
        if rng.random() < 0.5:
            query["tag"] = rng.choice(corpus.TAGS[:12])
        if rng.random() < 0.5:
            query["owner"] = rng.choice([str(a) for a in agent_ids] + ["none", "me"])
        if rng.random() < 0.5:
            query["channel"] = rng.choice(("chat", "email", "api", "phone"))
        paths.append("/api/v1/conversations?" + urlencode(query))
    return paths


def search_paths() -> list[str]:
    return ["/api/v1/search?" + urlencode({"q": q}) for q in corpus.SEARCH_QUERIES]


def shifted(make: loadgen.RequestMaker, offset: int) -> loadgen.RequestMaker:
    """Request i of a later round is request offset + i: every round sends new bodies."""
    return lambda i: make(offset + i)


def cycle(paths: list[str]) -> loadgen.RequestMaker:
    return lambda i: loadgen.Request("GET", paths[i % len(paths)])


def has_key(key: str) -> loadgen.Check:
    def check(response: httpx.Response) -> str | None:
        return None if key in response.json() else f"no {key!r} in the response"

    return check


# ---- databases ----------------------------------------------------------------------------


def fingerprint(plan: Plan) -> str:
    """What the cached preload depends on: sizes, seed, schema and the generator code."""
    import balie

    package = Path(balie.__file__).parent  # the exported source, or the live tree
    digest = hashlib.sha256(f"{plan.conversations}:{plan.messages}:{SEED}".encode())
    sources = sorted((package / "store/migrations/versions").glob("*.py"))
    sources += [BENCH / "preload.py", BENCH / "corpus.py", package / "search/terms.py"]
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def agent_ids_sqlite(path: Path) -> list[int]:
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT id FROM agents WHERE email LIKE 'agent%@bench.example.nl'")
        return [int(r[0]) for r in rows]
    finally:
        con.close()


def prepared_sqlite(plan: Plan, cache_dir: Path, work: Path) -> tuple[str, str, dict[str, Any]]:
    """A preloaded SQLite file copied from the cache (built on the first run)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    size, key = plan.conversations, fingerprint(plan)
    stem = f"sqlite-{size}-{key}"
    cached, meta_path = cache_dir / f"{stem}.db", cache_dir / f"{stem}.json"
    if not (cached.exists() and meta_path.exists()):
        # A cache of the same size with another key is stale (schema or generator changed).
        for old in cache_dir.glob(f"sqlite-{size}-*"):
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink()
        building = cache_dir / f"{stem}.building"
        building.mkdir(parents=True, exist_ok=True)
        db = building / "balie.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        token, how = server.setup(sqlite_url(db), building)
        log(f"sqlite: preloading {plan.conversations:,} conversations, {plan.messages:,} messages")
        result = preload.preload(
            sqlite_url(db), preload.Sizes(plan.conversations, plan.messages), seed=SEED
        )
        meta = {"token": token, "setup": how, "preload": result, "agents": agent_ids_sqlite(db)}
        db.replace(cached)
        shutil.rmtree(building)
        meta_path.write_text(json.dumps(meta))
    else:
        log(f"sqlite: using the cached preload {cached}")
    meta = json.loads(meta_path.read_text())
    target = work / "read.db"
    server.copy_sqlite(cached, target)
    meta["database_bytes"] = target.stat().st_size
    return sqlite_url(target), meta["token"], meta


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as con:
        con.execute(sql)  # database names come from this script, never from input


def _pg_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as con:
        row = con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def _pg_names(pattern: str) -> list[str]:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as con:
        rows = con.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [pattern])
        return [str(r[0]) for r in rows]


def fresh_postgres(name: str) -> str:
    _pg(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _pg(f"CREATE DATABASE {name}")
    return PG_URL.format(name=name)


def prepared_postgres(plan: Plan, cache_dir: Path, work: Path) -> tuple[str, str, dict[str, Any]]:
    """A preloaded database cloned from a cached template database (built once)."""
    import psycopg

    size, key = plan.conversations, fingerprint(plan)
    template = f"balie_bench_cache_{size}_{key}"
    meta_path = cache_dir / f"postgres-{size}-{key}.json"
    if not (_pg_exists(template) and meta_path.exists()):
        # Templates of the same size with another key are stale: drop them and their notes
        # (in LIKE, \\_ is a literal underscore).
        for old in _pg_names(f"balie\\_bench\\_cache\\_{size}\\_%"):
            _pg(f"DROP DATABASE IF EXISTS {old} WITH (FORCE)")
        for old_meta in cache_dir.glob(f"postgres-{size}-*.json"):
            old_meta.unlink()
        url = fresh_postgres(template)
        token, how = server.setup(url, work / "pg-setup")
        log(f"postgres: preloading {plan.conversations:,} conversations, {plan.messages:,} msgs")
        result = preload.preload(url, preload.Sizes(plan.conversations, plan.messages), seed=SEED)
        with psycopg.connect(url.replace("+psycopg", "")) as con:
            agents = [
                int(r[0])
                for r in con.execute(
                    "SELECT id FROM agents WHERE email LIKE 'agent%@bench.example.nl'"
                )
            ]
        cache_dir.mkdir(parents=True, exist_ok=True)
        meta_path.write_text(
            json.dumps({"token": token, "setup": how, "preload": result, "agents": agents})
        )
    else:
        log(f"postgres: cloning the cached preload {template}")
    meta = json.loads(meta_path.read_text())
    name = "balie_bench_read"
    _pg(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    # A template copy is a file copy: seconds instead of minutes of preloading.
    _pg(f"CREATE DATABASE {name} TEMPLATE {template}")
    url = PG_URL.format(name=name)
    with psycopg.connect(url.replace("+psycopg", "")) as con:
        row = con.execute("SELECT pg_database_size(current_database())").fetchone()
        meta["database_bytes"] = int(row[0]) if row else None
        # Statistics are not copied with a template; the planner needs them.
        con.execute("ANALYZE")
        con.commit()
    return url, meta["token"], meta


# ---- one backend ----------------------------------------------------------------------------


@dataclass
class Context:
    plan: Plan
    work: Path
    cache_dir: Path
    port: int
    peer_port: int
    with_peer: bool
    records: list[dict[str, Any]]
    # (system, backend, label) -> latencies of every round, pooled for the summary.
    pooled: dict[tuple[str, str, str], list[float]] = field(default_factory=dict)


def measure(
    ctx: Context,
    base: dict[str, Any],
    *,
    pid: int,
    port: int,
    label: str,
    make: loadgen.RequestMaker,
    count: int,
    concurrency: int,
    headers: dict[str, str],
    check: loadgen.Check | None = None,
) -> dict[str, Any]:
    # The machine is shared: the load average beside each figure shows how busy it was.
    load_before = os.getloadavg()[0]
    cpu_before = server.tree_cpu_seconds(pid)
    result = asyncio.run(
        loadgen.run(
            base_url=f"http://127.0.0.1:{port}",
            label=label,
            make=make,
            count=count,
            concurrency=concurrency,
            headers=headers,
            warmup=ctx.plan.warmup,
            max_seconds=ctx.plan.max_seconds,
            check=check,
        )
    )
    server_cpu = server.tree_cpu_seconds(pid) - cpu_before
    key = (base["system"], base["backend"], label)
    ctx.pooled.setdefault(key, []).extend(result.pop("latencies_ms"))
    record = {
        **base,
        **result,
        "loadavg_1m_before": round(load_before, 2),
        "loadavg_1m_after": round(os.getloadavg()[0], 2),
        # Server CPU per successful request: what the work costs, apart from waiting.
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_ms_per_request": (
            round(server_cpu * 1000 / result["ok"], 2) if result["ok"] else None
        ),
    }
    emit(record, ctx.records)
    log(
        f"{base['system']} {base['backend']} {label}: {result['rps']} req/s, "
        f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, "
        f"errors {result['errors']}"
    )
    return record


def fresh_balie(ctx: Context, backend: str) -> tuple[str, str, str]:
    """An empty, migrated database with an admin token: (url, token, how it was set up)."""
    if backend == "sqlite":
        db = ctx.work / backend / "create.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        url = sqlite_url(db)
    else:
        url = fresh_postgres("balie_bench_create")
    token, how = server.setup(url, ctx.work / backend)
    return url, token, how


def create_phase(ctx: Context, backend: str, versions: str) -> None:
    """Creation on empty databases, Balie and the peer in alternating rounds.

    Both servers run for the whole phase (the idle one costs nothing) and the rounds
    alternate, so a burst of other work on this shared machine hits both systems rather
    than whichever happened to be measured at that moment."""
    work = ctx.work / backend
    url, token, how = fresh_balie(ctx, backend)
    with contextlib.ExitStack() as stack:
        ours = stack.enter_context(server.serving(url, work, ctx.port, work / "serve-create.log"))
        systems: list[tuple[dict[str, Any], int, int, dict[str, str], loadgen.RequestMaker]] = [
            (
                {
                    "system": "balie",
                    "backend": backend,
                    "kind": "create",
                    "server": ours["how"],
                    "balie_commit": ours["balie_commit"],
                    "setup": how,
                    "endpoint": "POST /api/v1/conversations",
                },
                int(str(ours["pid"])),
                ctx.port,
                {"Authorization": f"Bearer {token}"},
                balie_create,
            )
        ]
        if ctx.with_peer:
            theirs = stack.enter_context(peer.serving(backend, ctx.peer_port, work / "peer"))
            systems.append(
                (
                    {
                        "system": "django-helpdesk",
                        "backend": backend,
                        "kind": "create",
                        "server": f"gunicorn, {theirs['workers']} workers ({versions})",
                        "endpoint": "POST /helpdesk/api/tickets/",
                    },
                    int(theirs["pid"]),
                    ctx.peer_port,
                    {"Authorization": f"Token {theirs['token']}"},
                    peer_create(theirs["queues"]),
                )
            )
        for concurrency, count in ctx.plan.create_counts.items():
            for round_number in range(ctx.plan.rounds):
                for base, pid, port, headers, make in systems:
                    offset = round_number * (count + ctx.plan.warmup)
                    measure(
                        ctx,
                        {**base, "round": round_number + 1},
                        pid=pid,
                        port=port,
                        label=f"create-c{concurrency}",
                        make=shifted(make, offset),
                        count=count,
                        concurrency=concurrency,
                        headers=headers,
                    )


def read_phase(ctx: Context, backend: str) -> None:
    work = ctx.work / backend
    prepare: Callable[[Plan, Path, Path], tuple[str, str, dict[str, Any]]] = (
        prepared_sqlite if backend == "sqlite" else prepared_postgres
    )
    url, token, meta = prepare(ctx.plan, ctx.cache_dir, work)
    headers = {"Authorization": f"Bearer {token}"}
    emit(
        {
            "system": "balie",
            "backend": backend,
            "kind": "preload",
            **meta["preload"],
            "database_bytes": meta["database_bytes"],
        },
        ctx.records,
    )
    with server.serving(url, work, ctx.port, work / "serve-read.log") as proc:
        pid = int(str(proc["pid"]))
        sizes = {"conversations": ctx.plan.conversations, "messages": ctx.plan.messages}
        base = {
            "system": "balie",
            "backend": backend,
            "server": proc["how"],
            "balie_commit": proc["balie_commit"],
            **sizes,
        }
        lists = list_paths(meta["agents"])
        for concurrency, count in ctx.plan.list_counts.items():
            measure(
                ctx,
                {**base, "kind": "list", "endpoint": "GET /api/v1/conversations"},
                pid=pid,
                port=ctx.port,
                label=f"list-c{concurrency}",
                make=cycle(lists),
                count=count,
                concurrency=concurrency,
                headers=headers,
                check=has_key("items"),
            )
        searches = search_paths()
        for concurrency, count in ctx.plan.search_counts.items():
            measure(
                ctx,
                {**base, "kind": "search", "endpoint": "GET /api/v1/search"},
                pid=pid,
                port=ctx.port,
                label=f"search-c{concurrency}",
                make=cycle(searches),
                count=count,
                concurrency=concurrency,
                headers=headers,
                check=has_key("messages"),
            )
        # Each query alone, three times (the median kept): which queries are slow, not
        # just how slow the mix is.
        for kind, paths in (("list", lists), ("search", searches)):
            emit(
                {
                    **base,
                    "kind": f"{kind}-per-query",
                    "label": f"{kind}-per-query",
                    "ms": per_query(ctx.port, headers, paths),
                },
                ctx.records,
            )


def per_query(port: int, headers: dict[str, str], paths: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
        for path in dict.fromkeys(paths):
            times = []
            for _ in range(3):
                started = time.perf_counter()
                client.get(path, timeout=60).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
            out[path.split("?", 1)[1]] = round(sorted(times)[1], 1)
    return out


def run_backend(ctx: Context, backend: str, versions: str, phases: tuple[str, ...]) -> None:
    if backend == "postgres" and not postgres_available():
        log("postgres: no server on 127.0.0.1:5432, skipped")
        return
    log(f"=== {backend} ===")
    if "create" in phases:
        create_phase(ctx, backend, versions)
    if "read" in phases:
        read_phase(ctx, backend)


def postgres_available() -> bool:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3) as con:
            con.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


# ---- summary ----------------------------------------------------------------------------------


def pooled(ctx: Context, system: str, backend: str, label: str) -> dict[str, Any] | None:
    """All rounds of one measurement together: requests/s over the summed time, and
    percentiles over every latency of every round."""
    rounds = [
        r
        for r in ctx.records
        if r.get("system") == system and r.get("backend") == backend and r.get("label") == label
    ]
    if not rounds:
        return None
    values = sorted(ctx.pooled.get((system, backend, label), []))
    ok = sum(r["ok"] for r in rounds)
    elapsed = sum(r["elapsed_s"] for r in rounds)
    cpu = sum(r["server_cpu_s"] for r in rounds)

    def ms(p: float) -> float | None:
        value = loadgen.percentile(values, p)
        return None if value is None else round(value, 2)

    return {
        "rounds": len(rounds),
        "ok": ok,
        "errors": sum(r["errors"] for r in rounds),
        "rps": round(ok / elapsed, 1) if elapsed else None,
        "rps_per_round": [r["rps"] for r in rounds],
        "p50_ms": ms(50),
        "p95_ms": ms(95),
        "p99_ms": ms(99),
        "server_cpu_ms_per_request": round(cpu * 1000 / ok, 2) if ok else None,
        "stopped_by_time_cap": any(r["stopped_by_time_cap"] for r in rounds),
    }


def summarise(ctx: Context, backends: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "summary", "backends": {}}
    for backend in backends:
        figures: dict[str, Any] = {}
        for concurrency in ctx.plan.create_counts:
            label = f"create-c{concurrency}"
            ours = pooled(ctx, "balie", backend, label)
            theirs = pooled(ctx, "django-helpdesk", backend, label)
            if ours:
                entry: dict[str, Any] = {"balie": ours}
                if theirs and theirs["rps"] and ours["rps"]:
                    entry["django-helpdesk"] = theirs
                    entry["speedup_rps"] = round(ours["rps"] / theirs["rps"], 2)
                figures[label] = entry
        for kind, counts in (("list", ctx.plan.list_counts), ("search", ctx.plan.search_counts)):
            for concurrency in counts:
                label = f"{kind}-c{concurrency}"
                result = pooled(ctx, "balie", backend, label)
                if result:
                    figures[label] = result
        aims: dict[str, Any] = {}
        c4 = figures.get("create-c4", {})
        if "speedup_rps" in c4:
            aims["create_c4_at_least_3x_peer"] = c4["speedup_rps"] >= CREATE_SPEEDUP_AIM
        if "list-c1" in figures:
            aims["list_c1_p99_under_50ms"] = figures["list-c1"]["p99_ms"] < LIST_P99_AIM_MS
        if "search-c1" in figures:
            aims["search_c1_p95_under_50ms"] = figures["search-c1"]["p95_ms"] < SEARCH_P95_AIM_MS
        figures["aims"] = aims
        out["backends"][backend] = figures
    return out


def machine(versions: str) -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    return {
        "kind": "machine",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "balie_commit": server.source_state(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "peer": versions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all")
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute")
    parser.add_argument("--no-peer", action="store_true", help="skip django-helpdesk")
    parser.add_argument(
        "--only", choices=("create", "read"), help="run one phase: creation, or list and search"
    )
    parser.add_argument("--out", type=Path, help="also write all records here (JSON)")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/balie-bench"))
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/balie-bench-cache"))
    parser.add_argument(
        "--source",
        default="HEAD",
        help="git revision of Balie to measure (default HEAD: committed code, since others "
        "edit the live tree while benchmarks run), or 'worktree' for the live tree",
    )
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--peer-port", type=int, default=8101)
    args = parser.parse_args()
    if args.source != "worktree" and "BALIE_BENCH_SOURCE" not in os.environ:
        # Re-run this script with the exported source first on the path, so this process
        # (preload, search terms) and every server it starts use the same code.
        commit, src = server.export_source(args.source, args.work_dir)
        env = {**os.environ, "PYTHONPATH": str(src), "BALIE_BENCH_SOURCE": commit}
        script = str(Path(__file__).resolve())
        os.execve(sys.executable, [sys.executable, script, *sys.argv[1:]], env)
    # A SIGTERM should still stop the servers this script started (the ``finally``
    # blocks of the serving context managers run on SystemExit, not on a bare signal).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    plan = QUICK if args.quick else FULL
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    versions = peer.ensure_venv() if not args.no_peer else "not run"
    ctx = Context(
        plan=plan,
        work=args.work_dir,
        cache_dir=args.cache_dir,
        port=args.port,
        peer_port=args.peer_port,
        with_peer=not args.no_peer,
        records=[],
    )
    emit(machine(versions), ctx.records)
    emit({"kind": "plan", "quick": args.quick, **asdict(plan)}, ctx.records)
    for backend in backends:
        (ctx.work / backend).mkdir(parents=True, exist_ok=True)
        run_backend(ctx, backend, versions, (args.only,) if args.only else ("create", "read"))
    summary = summarise(ctx, backends)
    emit(summary, ctx.records)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(ctx.records, indent=1) + "\n")
        log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
