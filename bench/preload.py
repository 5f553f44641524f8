"""Bulk-load a Balie database with conversations and messages for the read benchmarks.

Going through the HTTP API would take hours for a million messages, so this writes the
rows directly, but the same rows the actions write: customers with an e-mail identity and
``search_terms``, conversations with per-conversation message numbers (``seq`` 1..n and
``last_seq`` = n), conversation tags, and the search index (SQLite: ``message_fts`` with
``index_terms(text)`` per message, rowid = message id, and ``customer_fts``; PostgreSQL:
the expression index of the first migration, rebuilt once after the load).

What it does not write: audit entries. The preloaded rows have none, and the audit head is
left alone, so the chain (whatever the setup commands appended) still verifies.

Usage (the database must be migrated already):
    .venv/bin/python bench/preload.py --url sqlite:////tmp/x/balie.db \
        --conversations 50000 --messages 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import multiprocessing
import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus
from balie.agents.roles import DEFAULT_MANDATE_CENTS
from balie.search.terms import index_terms

# A fixed "now" keeps the generated data identical between runs (and cacheable).
ANCHOR = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
CHUNK_CONVERSATIONS = 500
STATUS_WEIGHTS = {"open": 25, "pending": 10, "snoozed": 5, "resolved": 60}
SEVERITY_WEIGHTS = {"normal": 85, "high": 12, "critical": 3}
PRIORITY_WEIGHTS = {"low": 10, "normal": 70, "high": 15, "urgent": 5}
CHANNELS = ("chat", "email", "api", "phone")
INBOXES = (  # name, channel, address, team index
    ("Webshop chat", "chat", None, 0),
    ("Klantenservice e-mail", "email", "klantenservice@example.nl", 0),
    ("Zakelijk e-mail", "email", "zakelijk@example.nl", 1),
    ("Technische dienst", "phone", None, 2),
)
TEAMS = ("Klantenservice", "Zakelijk", "Techniek")


@dataclass(frozen=True)
class Sizes:
    conversations: int
    messages: int
    agents: int = 24

    @property
    def customers(self) -> int:
        # Repeat contacts: on average two conversations per customer.
        return max(1, self.conversations // 2)


@dataclass(frozen=True)
class Bases:
    """The largest id already present per table; preloaded rows follow on."""

    team: int
    inbox: int
    agent: int
    customer: int
    identity: int
    conversation: int
    message: int


@dataclass
class Chunk:
    conversations: list[tuple[Any, ...]] = field(default_factory=list)
    tags: list[tuple[Any, ...]] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    message_terms: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    backend: str
    seed: int
    number: int
    first_conversation: int  # index into the plan, not an id
    message_counts: list[int]
    customer_ids: list[int]
    customer_first_names: list[str]
    customer_languages: list[str | None]
    first_message_id: int
    bases: Bases
    agents: int


CONVERSATION_COLUMNS = [
    "id",
    "customer_id",
    "inbox_id",
    "team_id",
    "owner_id",
    "order_id",
    "status",
    "priority",
    "severity",
    "channel",
    "subject",
    "language",
    "last_seq",
    "snoozed_until",
    "created_at",
    "updated_at",
    "last_activity_at",
    "resolved_at",
]
MESSAGE_COLUMNS = [
    "id",
    "conversation_id",
    "seq",
    "author_kind",
    "author_agent_id",
    "internal",
    "text",
    "html",
    "attachments",
    "client_id",
    "created_at",
]


def _sqlite_time(value: dt.datetime | None) -> str | None:
    # SQLAlchemy's SQLite DateTime storage format, naive UTC (see balie.store.types).
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def message_counts(sizes: Sizes, rng: random.Random) -> list[int]:
    """Messages per conversation: mostly short threads, a few long ones, summing exactly."""
    mean = sizes.messages / sizes.conversations
    counts = [max(1, round(rng.expovariate(1 / mean))) for _ in range(sizes.conversations)]
    diff = sizes.messages - sum(counts)
    while diff != 0:
        i = rng.randrange(sizes.conversations)
        if diff > 0:
            counts[i] += 1
            diff -= 1
        elif counts[i] > 1:
            counts[i] -= 1
            diff += 1
    return counts


def generate(job: Job) -> Chunk:
    """The rows of one slice of conversations. Runs in a worker process."""
    rng = random.Random(f"{job.seed}:{job.number}")
    sqlite = job.backend == "sqlite"
    stamp = _sqlite_time if sqlite else (lambda v: v)
    agent_ids = [job.bases.agent + 1 + i for i in range(job.agents)]
    chunk = Chunk()
    message_id = job.first_message_id
    for k, count in enumerate(job.message_counts):
        conversation_id = job.bases.conversation + job.first_conversation + k + 1
        inbox = rng.randrange(len(INBOXES) + 1)  # the last value: API, no inbox
        if inbox < len(INBOXES):
            _, channel, _, team = INBOXES[inbox]
            inbox_id: int | None = job.bases.inbox + inbox + 1
            team_id: int | None = job.bases.team + team + 1
        else:
            channel, inbox_id, team_id = "api", None, None
        owner = rng.choice(agent_ids) if rng.random() < 0.7 else None
        language = job.customer_languages[k] or rng.choice(("nl", "nl", "en"))
        thread = corpus.Thread(
            rng, language=language, first=job.customer_first_names[k], agent="Balie"
        )
        created = ANCHOR - dt.timedelta(seconds=rng.randrange(365 * 86400))
        at = created
        customer_turn = True
        for seq in range(1, count + 1):
            if seq > 1:
                at += dt.timedelta(seconds=rng.randrange(60, 2 * 86400))
            internal = seq > 1 and rng.random() < 0.05
            if internal:
                kind, author, body = "agent", owner or rng.choice(agent_ids), thread.note()
            elif customer_turn:
                kind, author, body = "customer", None, thread.customer_message()
                customer_turn = rng.random() < 0.2  # customers sometimes write twice
            else:
                kind, author, body = "agent", owner or rng.choice(agent_ids), thread.agent_message()
                customer_turn = True
            chunk.messages.append(
                (
                    message_id,
                    conversation_id,
                    seq,
                    kind,
                    author,
                    int(internal) if sqlite else internal,
                    body,
                    None,
                    "[]",
                    None,
                    stamp(at),
                )
            )
            if sqlite:
                chunk.message_terms.append((message_id, index_terms(body)))
            message_id += 1
        status = _weighted(rng, STATUS_WEIGHTS)
        snoozed = at + dt.timedelta(days=rng.randrange(1, 14)) if status == "snoozed" else None
        resolved = at if status == "resolved" else None
        chunk.conversations.append(
            (
                conversation_id,
                job.customer_ids[k],
                inbox_id,
                team_id,
                owner,
                None,
                status,
                _weighted(rng, PRIORITY_WEIGHTS),
                _weighted(rng, SEVERITY_WEIGHTS),
                channel,
                thread.subject()[:300],
                language,
                count,
                stamp(snoozed),
                stamp(created),
                stamp(at),
                stamp(at),
                stamp(resolved),
            )
        )
        chunk.tags.extend((conversation_id, tag) for tag in corpus.tags_for(rng))
    return chunk


# ---- the plan: who, how many, where ---------------------------------------------------


@dataclass
class Plan:
    sizes: Sizes
    seed: int
    bases: Bases
    teams: list[tuple[Any, ...]]
    inboxes: list[tuple[Any, ...]]
    agents: list[tuple[Any, ...]]
    customers: list[tuple[Any, ...]]
    identities: list[tuple[Any, ...]]
    customer_terms: list[tuple[int, str]]
    jobs: list[Job]


def make_plan(backend: str, sizes: Sizes, seed: int, bases: Bases) -> Plan:
    rng = random.Random(seed)
    sqlite = backend == "sqlite"
    stamp = _sqlite_time if sqlite else (lambda v: v)
    created = stamp(ANCHOR - dt.timedelta(days=400))
    teams = [(bases.team + i + 1, name, created) for i, name in enumerate(TEAMS)]
    inboxes = [
        (bases.inbox + i + 1, bases.team + team + 1, name, channel, address, created)
        for i, (name, channel, address, team) in enumerate(INBOXES)
    ]
    agents = []
    for i in range(sizes.agents):
        role = "supervisor" if i % 8 == 0 else "agent"
        name, _ = corpus.person(rng, i)
        agents.append(
            (
                bases.agent + i + 1,
                f"agent{i + 1}@bench.example.nl",
                name,
                role,
                "nl" if i % 3 else "en",
                DEFAULT_MANDATE_CENTS[role],
                bases.team + 1 + i % len(TEAMS),
                None,  # no password: these agents never log in during the benchmark
                1 if sqlite else True,
                created,
            )
        )
    customers, identities, terms, first_names, languages = [], [], [], [], []
    for i in range(sizes.customers):
        cid = bases.customer + i + 1
        name, email = corpus.person(rng, i)
        language = rng.choice(("nl", "nl", "en", None))
        search_terms = index_terms(" ".join([name, email]))
        when = stamp(ANCHOR - dt.timedelta(days=380, seconds=-i))
        customers.append((cid, name, language, "", search_terms, None, when, when))
        identities.append((bases.identity + i + 1, cid, "email", email, when))
        terms.append((cid, search_terms))
        first_names.append(name.split()[0])
        languages.append(language)
    counts = message_counts(sizes, rng)
    # Every customer has at least one conversation; the rest are repeat contacts.
    owners = list(range(sizes.customers)) + [
        rng.randrange(sizes.customers) for _ in range(sizes.conversations - sizes.customers)
    ]
    rng.shuffle(owners)
    jobs = []
    next_message = bases.message + 1
    for number, start in enumerate(range(0, sizes.conversations, CHUNK_CONVERSATIONS)):
        stop = min(start + CHUNK_CONVERSATIONS, sizes.conversations)
        picked = owners[start:stop]
        jobs.append(
            Job(
                backend=backend,
                seed=seed,
                number=number,
                first_conversation=start,
                message_counts=counts[start:stop],
                customer_ids=[bases.customer + c + 1 for c in picked],
                customer_first_names=[first_names[c] for c in picked],
                customer_languages=[languages[c] for c in picked],
                first_message_id=next_message,
                bases=bases,
                agents=sizes.agents,
            )
        )
        next_message += sum(counts[start:stop])
    return Plan(sizes, seed, bases, teams, inboxes, agents, customers, identities, terms, jobs)


def _chunks(plan: Plan, workers: int) -> Iterator[Chunk]:
    if workers <= 1:
        yield from map(generate, plan.jobs)
        return
    # Generation (text and stemming) is the CPU-heavy part; the writer overlaps with it.
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(generate, plan.jobs)


def _progress(done: int, total: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    print(f"preload: {done}/{total} messages ({rate:,.0f}/s)", file=sys.stderr, flush=True)


# ---- SQLite -------------------------------------------------------------------------


def _insert(con: sqlite3.Connection, table: str, columns: list[str], rows: list[Any]) -> None:
    marks = ", ".join("?" for _ in columns)
    con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _sqlite_bases(con: sqlite3.Connection) -> Bases:
    def top(table: str) -> int:
        return int(con.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0])

    return Bases(
        team=top("teams"),
        inbox=top("inboxes"),
        agent=top("agents"),
        customer=top("customers"),
        identity=top("customer_identities"),
        conversation=top("conversations"),
        message=top("messages"),
    )


def preload_sqlite(path: Path, sizes: Sizes, seed: int, workers: int) -> dict[str, Any]:
    con = sqlite3.connect(path, isolation_level=None)
    # Bulk-load settings: a crash mid-load means rebuilding the file anyway, so durability
    # is traded for speed. The server sets its own PRAGMAs on every connection.
    for pragma in (
        "journal_mode=WAL",
        "synchronous=OFF",
        "cache_size=-400000",
        "temp_store=MEMORY",
        "foreign_keys=OFF",
    ):
        con.execute(f"PRAGMA {pragma}")
    started = time.perf_counter()
    plan = make_plan("sqlite", sizes, seed, _sqlite_bases(con))
    con.execute("BEGIN")
    _insert(con, "teams", ["id", "name", "created_at"], plan.teams)
    _insert(
        con,
        "inboxes",
        ["id", "team_id", "name", "channel", "address", "created_at"],
        plan.inboxes,
    )
    _insert(
        con,
        "agents",
        [
            "id",
            "email",
            "name",
            "role",
            "language",
            "mandate_limit_cents",
            "team_id",
            "password_hash",
            "active",
            "created_at",
        ],
        plan.agents,
    )
    _insert(
        con,
        "customers",
        [
            "id",
            "name",
            "language",
            "notes",
            "search_terms",
            "merged_into_id",
            "created_at",
            "updated_at",
        ],
        plan.customers,
    )
    _insert(
        con,
        "customer_identities",
        ["id", "customer_id", "kind", "value", "created_at"],
        plan.identities,
    )
    con.executemany("INSERT INTO customer_fts(rowid, terms) VALUES (?, ?)", plan.customer_terms)
    con.execute("COMMIT")
    done = 0
    for chunk in _chunks(plan, workers):
        con.execute("BEGIN")
        _insert(con, "conversations", CONVERSATION_COLUMNS, chunk.conversations)
        _insert(con, "conversation_tags", ["conversation_id", "tag"], chunk.tags)
        _insert(con, "messages", MESSAGE_COLUMNS, chunk.messages)
        con.executemany("INSERT INTO message_fts(rowid, terms) VALUES (?, ?)", chunk.message_terms)
        con.execute("COMMIT")
        done += len(chunk.messages)
        if done // 100_000 != (done - len(chunk.messages)) // 100_000:
            _progress(done, sizes.messages, started)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return {"backend": "sqlite", "seconds": round(time.perf_counter() - started, 1)}


# ---- PostgreSQL -----------------------------------------------------------------------


def _copy(cur: Any, table: str, columns: list[str], rows: list[Any]) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def preload_postgres(url: str, sizes: Sizes, seed: int, workers: int) -> dict[str, Any]:
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con:
        cur = con.cursor()

        def top(table: str) -> int:
            row = cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()
            assert row is not None
            return int(row[0])

        bases = Bases(
            team=top("teams"),
            inbox=top("inboxes"),
            agent=top("agents"),
            customer=top("customers"),
            identity=top("customer_identities"),
            conversation=top("conversations"),
            message=top("messages"),
        )
        plan = make_plan("postgres", sizes, seed, bases)
        # Maintaining a GIN index row by row is the slow part of a bulk load; building it
        # once afterwards from the migration's own definition gives the same index.
        index_defs = [
            row[0]
            for row in cur.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'messages' "
                "AND indexname = 'ix_messages_fulltext'"
            )
        ]
        cur.execute("DROP INDEX IF EXISTS ix_messages_fulltext")
        con.commit()
        _copy(cur, "teams", ["id", "name", "created_at"], plan.teams)
        _copy(
            cur,
            "inboxes",
            ["id", "team_id", "name", "channel", "address", "created_at"],
            plan.inboxes,
        )
        _copy(
            cur,
            "agents",
            [
                "id",
                "email",
                "name",
                "role",
                "language",
                "mandate_limit_cents",
                "team_id",
                "password_hash",
                "active",
                "created_at",
            ],
            plan.agents,
        )
        _copy(
            cur,
            "customers",
            [
                "id",
                "name",
                "language",
                "notes",
                "search_terms",
                "merged_into_id",
                "created_at",
                "updated_at",
            ],
            plan.customers,
        )
        _copy(
            cur,
            "customer_identities",
            ["id", "customer_id", "kind", "value", "created_at"],
            plan.identities,
        )
        con.commit()
        done = 0
        for chunk in _chunks(plan, workers):
            _copy(cur, "conversations", CONVERSATION_COLUMNS, chunk.conversations)
            _copy(cur, "conversation_tags", ["conversation_id", "tag"], chunk.tags)
            _copy(cur, "messages", MESSAGE_COLUMNS, chunk.messages)
            con.commit()
            done += len(chunk.messages)
            if done // 100_000 != (done - len(chunk.messages)) // 100_000:
                _progress(done, sizes.messages, started)
        cur.execute("SET maintenance_work_mem = '1GB'")
        for definition in index_defs:
            print("preload: building the full-text index", file=sys.stderr, flush=True)
            cur.execute(definition)
        # Explicit ids leave the serial sequences behind; the next insert must not collide.
        for table in (
            "teams",
            "inboxes",
            "agents",
            "customers",
            "customer_identities",
            "conversations",
            "messages",
        ):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        con.commit()
        # Autovacuum would analyse the new tables within minutes; do it now.
        con.autocommit = True
        cur.execute("VACUUM ANALYZE")
    return {"backend": "postgres", "seconds": round(time.perf_counter() - started, 1)}


def preload(url: str, sizes: Sizes, *, seed: int = 42, workers: int = 2) -> dict[str, Any]:
    if url.startswith("sqlite"):
        path = Path(url.split(":///", 1)[1])
        result = preload_sqlite(path, sizes, seed, workers)
    else:
        result = preload_postgres(url, sizes, seed, workers)
    return {**result, "conversations": sizes.conversations, "messages": sizes.messages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="sqlite:///PATH or postgresql://...")
    parser.add_argument("--conversations", type=int, default=50_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sizes = Sizes(args.conversations, args.messages)
    out = io.StringIO()
    json.dump(preload(args.url, sizes, seed=args.seed, workers=args.workers), out)
    print(out.getvalue())


if __name__ == "__main__":
    main()
