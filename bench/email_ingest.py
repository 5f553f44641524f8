"""Benchmark of Balie's inbound e-mail path: mail sent over SMTP to a real ``balie serve``.

The server runs with its built-in SMTP receiver (``BALIE_SMTP_LISTEN``) on a fresh database
with one e-mail inbox, support@shop.example. K client connections (threads with smtplib,
each reusing its connection for many mails, as a sending MTA does) deliver generated mail:
the shapes of ``tests/email_corpus.py`` (Gmail, Outlook, Apple Mail, old charsets,
attachments, auto-replies, bounces, list mail, broken headers), each made unique with a
Message-ID and a From of its own. About 70% are new mails from a pool of senders, 30% are
replies (bodies with quoted history from ``reply_chain``) to a mail sent earlier, by
In-Reply-To and, for most, References. A reply is only sent once the mail it answers has
had its 250, as a customer answers only mail that arrived.

Balie answers 250 only after the mail is parsed, threaded and committed, so the time from
the end of DATA to the 250 is the time to store one mail. After the run the database is
checked: every accepted mail stored exactly once, every customer mail a message, every reply
in the conversation of the mail it answers, every new mail a conversation of its own.

Prints one JSON object on stdout (progress on stderr).

    .venv/bin/python bench/email_ingest.py [--backend sqlite|postgres] [--messages 2000]
        [--connections 8] [--seed 7] [--py-spy .venv/bin/py-spy]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The repository root, for the mail corpus in tests/.
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import chat_load
import loadgen
import server

INBOX_ADDRESS = "support@shop.example"
AIM_MSGS_PER_S = 200.0
# High enough that no sender meets Balie's mail-loop limit (default 30 per hour): the
# benchmark's senders write far more often than people do.
SENDER_LIMIT_PER_HOUR = 1_000_000
# SMTP's limit on a line (RFC 5321 4.5.3.1.6). A corpus mail with longer lines cannot be
# carried over SMTP unencoded; real MTAs re-encode it, this benchmark leaves it out.
MAX_LINE = 998
DOMAINS = ("example.nl", "voorbeeld.nl", "mail.example.com", "example.org", "posteo.example")
# Headers every sent mail gets anew; the corpus mail's own are dropped.
REWRITTEN = {b"message-id", b"from", b"to", b"subject", b"in-reply-to", b"references"}


def log(message: str) -> None:
    print(f"[email {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---- the mail ------------------------------------------------------------------------------


@dataclass
class Mail:
    wire: bytes  # CRLF lines, dot-stuffed, ending in ".\r\n": the DATA as sent
    envelope_from: str
    header_id: str  # the Message-ID as Balie stores it
    kind: str  # what the corpus says the mail is: mail, auto_reply, bounce, list
    label: str
    parent: int | None  # the mail this one answers


@dataclass
class PoolMail:
    raw: bytes
    label: str
    kind: str
    subject: str  # as Balie reads it
    key: str  # Balie's subject key: same sender and key within 14 days join a conversation


def crlf(raw: bytes) -> bytes:
    return re.sub(rb"\r?\n", b"\r\n", raw)


def with_headers(raw: bytes, headers: list[tuple[str, str]], drop: set[bytes]) -> bytes:
    """The mail with the ``drop`` headers (and their folded lines) replaced by ``headers``;
    the rest of the header and the body stay byte for byte."""
    head, sep, body = crlf(raw).partition(b"\r\n\r\n")
    if not sep:
        head, body = head, b""
    kept: list[bytes] = []
    skipping = False
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                kept.append(line)
            continue
        name, colon, _ = line.partition(b":")
        skipping = bool(colon) and name.strip().lower() in drop
        if not skipping:
            kept.append(line)
    new = [f"{name}: {value}".encode() for name, value in headers]
    return b"\r\n".join(new + kept) + b"\r\n\r\n" + body


def on_the_wire(raw: bytes) -> bytes:
    """DATA as smtplib would send it: dot-stuffed, ending with the lone dot."""
    data = re.sub(rb"(?m)^\.", b"..", raw)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def encoded_subject(subject: str) -> str:
    subject = " ".join(subject.split())
    if subject.isascii():
        return subject
    return Header(subject, "utf-8").encode(linesep="\r\n")


def load_pool(size: int, seed: int) -> tuple[list[PoolMail], list[bytes], Counter[str]]:
    """Corpus mails for new conversations and customer replies for the replies; and the
    corpus mails left out (lines SMTP cannot carry), by label."""
    from tests.email_corpus import CHAIN_STYLES, corpus, reply_chain

    from balie.email.parse import parse
    from balie.email.threading import subject_key

    pool, skipped = [], Counter()
    for item in corpus(size, seed):
        raw = crlf(item.raw)
        if max(len(line) for line in raw.split(b"\r\n")) > MAX_LINE:
            skipped[item.label] += 1
            continue
        subject = parse(raw).subject
        pool.append(PoolMail(raw, item.label, item.expected_kind, subject, subject_key(subject)))
    replies = []
    for number in range(max(20, size // 3)):
        chain = reply_chain(3, seed * 1000 + number, CHAIN_STYLES[number % len(CHAIN_STYLES)])
        replies.append(crlf(chain[2]))  # the customer's second mail, quoting the thread
    return pool, replies, skipped


def plan(
    total: int, pool: list[PoolMail], replies: list[bytes], seed: int, senders: int, gap: int
) -> list[Mail]:
    """``total`` unique mails: 70% new, 30% replies to a mail at least ``gap`` places earlier
    (so it is usually stored by the time the reply goes out)."""
    from balie.email.parse import normalise_message_id

    rng = random.Random(seed)
    nonce = f"{seed}.{os.getpid()}.{int(time.time())}"
    addresses = [
        (f"Klant {i}", f"klant{i}@{DOMAINS[i % len(DOMAINS)]}") for i in range(1, senders + 1)
    ]
    used: set[tuple[str, str]] = set()  # (sender, subject key) pairs that have a conversation
    out: list[Mail] = []
    # For each mail that opened or joined a conversation: (sender, subject, references).
    thread: dict[int, tuple[tuple[str, str], str, list[str]]] = {}
    ids: list[str] = []
    for i in range(total):
        message_id = f"<{i}.{nonce}@mail.bench.example>"
        ids.append(message_id)
        answerable = [j for j in range(max(0, i - gap - 400), i - gap + 1) if j in thread]
        if answerable and rng.random() < 0.3:
            parent = answerable[-1 - min(len(answerable) - 1, int(rng.expovariate(1 / 100)))]
            person, subject, references = thread[parent]
            references = [*references, ids[parent]][-20:]
            headers = [
                ("From", formataddr(person)),
                ("To", f"Webwinkel <{INBOX_ADDRESS}>"),
                ("Subject", encoded_subject("Re: " + subject)),
                ("Message-ID", message_id),
                ("In-Reply-To", ids[parent]),
            ]
            if rng.random() < 0.7:  # the rest: clients that send In-Reply-To alone
                headers.append(("References", "\r\n ".join(references)))
            raw = with_headers(rng.choice(replies), headers, REWRITTEN)
            thread[i] = (person, subject, references)
            out.append(
                Mail(
                    on_the_wire(raw),
                    person[1],
                    normalise_message_id(message_id) or "",
                    "mail",
                    "reply",
                    parent,
                )
            )
            continue
        source = rng.choice(pool)
        if source.kind == "bounce":
            # A bounce comes from the mail system, with the null envelope sender.
            raw = with_headers(source.raw, [("Message-ID", message_id)], {b"message-id"})
            out.append(
                Mail(
                    on_the_wire(raw),
                    "",
                    normalise_message_id(message_id) or "",
                    "bounce",
                    source.label,
                    None,
                )
            )
            continue
        subject = source.subject
        person = rng.choice(addresses)
        for _ in range(20):
            if not source.key or (person[1], source.key) not in used:
                break
            person = rng.choice(addresses)
        else:
            subject = f"{subject} ({i})"  # still taken: a subject of its own
        used.add((person[1], source.key))
        headers = [
            ("From", formataddr(person)),
            ("To", f"Webwinkel <{INBOX_ADDRESS}>"),
            ("Subject", encoded_subject(subject)),
            ("Message-ID", message_id),
        ]
        raw = with_headers(source.raw, headers, REWRITTEN)
        thread[i] = (person, subject, [])
        out.append(
            Mail(
                on_the_wire(raw),
                person[1],
                normalise_message_id(message_id) or "",
                source.kind,
                source.label,
                None,
            )
        )
    return out


# ---- sending -------------------------------------------------------------------------------


@dataclass
class Outcome:
    code: str  # "250", "451", "RCPT 550", "disconnected"...
    start: float  # MAIL sent
    data_end: float  # the DATA's final dot sent
    end: float  # the answer read


class Delivery:
    """Sends mails over K connections; each thread takes the next mail in the plan."""

    def __init__(self, port: int, mails: list[Mail], connections: int) -> None:
        self.port = port
        self.mails = mails
        self.outcomes: list[Outcome | None] = [None] * len(mails)
        self.answered = [threading.Event() for _ in mails]
        self.lock = threading.Lock()
        self.next = 0
        self.end = 0
        self.waited_for_parent = 0
        self.reconnects = 0
        self.conns = [self.connect() for _ in range(connections)]

    def connect(self) -> smtplib.SMTP:
        conn = smtplib.SMTP("127.0.0.1", self.port, local_hostname="mx.bench.example", timeout=120)
        conn.ehlo()
        return conn

    def run(self, start: int, end: int) -> None:
        self.next, self.end = start, end
        threads = [
            threading.Thread(target=self.work, args=(slot,), daemon=True)
            for slot in range(len(self.conns))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def take(self) -> int | None:
        with self.lock:
            if self.next >= self.end:
                return None
            self.next += 1
            return self.next - 1

    def work(self, slot: int) -> None:
        while (index := self.take()) is not None:
            mail = self.mails[index]
            if mail.parent is not None and not self.answered[mail.parent].is_set():
                with self.lock:
                    self.waited_for_parent += 1
                self.answered[mail.parent].wait(120)
            try:
                self.outcomes[index] = self.send(self.conns[slot], mail)
            except (smtplib.SMTPException, OSError) as exc:
                now = time.perf_counter()
                self.outcomes[index] = Outcome(
                    f"disconnected ({type(exc).__name__})", now, now, now
                )
                with self.lock:
                    self.reconnects += 1
                self.conns[slot] = self.connect()
            self.answered[index].set()

    @staticmethod
    def send(conn: smtplib.SMTP, mail: Mail) -> Outcome:
        start = time.perf_counter()
        for verb, command, wanted in (
            ("MAIL", lambda: conn.mail(mail.envelope_from), (250,)),
            ("RCPT", lambda: conn.rcpt(INBOX_ADDRESS), (250, 251)),
            ("DATA", lambda: conn.docmd("DATA"), (354,)),
        ):
            code, _ = command()
            if code not in wanted:
                conn.rset()
                now = time.perf_counter()
                return Outcome(f"{verb} {code}", start, now, now)
        conn.send(mail.wire)
        data_end = time.perf_counter()
        code, _ = conn.getreply()
        return Outcome(str(code), start, data_end, time.perf_counter())

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()


# ---- the database ---------------------------------------------------------------------------


async def create_email_inbox(url: str) -> int:
    """A team and its e-mail inbox, through the library (no API for teams)."""
    from balie.act import CLI, Act, utcnow
    from balie.agents.actions import create_inbox, create_team
    from balie.store.database import Database

    db = Database(url)
    try:
        async with db.writing() as session:
            act = Act(session, CLI, utcnow())
            team = await create_team(act, name="Bench mail")
            inbox = await create_inbox(
                act, team_id=team.id, name="Bench mail", channel="email", address=INBOX_ADDRESS
            )
            return int(inbox.id)
    finally:
        await db.dispose()


async def read_back(url: str) -> dict[str, Any]:
    from sqlalchemy import text

    from balie.store.database import Database

    db = Database(url)
    try:
        async with db.reading() as session:
            rows = (
                await session.execute(
                    text(
                        "SELECT header_id, conversation_id, message_id, kind FROM mail_records "
                        "WHERE direction = 'in'"
                    )
                )
            ).all()
            customer = await session.scalar(
                text("SELECT count(*) FROM messages WHERE author_kind = 'customer'")
            )
            conversations = await session.scalar(
                text("SELECT count(*) FROM conversations WHERE channel = 'email'")
            )
            outbox = await session.scalar(text("SELECT count(*) FROM outbox"))
    finally:
        await db.dispose()
    return {
        "rows": [tuple(row) for row in rows],
        "customer_messages": int(customer or 0),
        "conversations": int(conversations or 0),
        "outbox": int(outbox or 0),
    }


def verify(mails: list[Mail], outcomes: list[Outcome | None], db: dict[str, Any]) -> dict[str, Any]:
    accepted = {i for i, o in enumerate(outcomes) if o is not None and o.code == "250"}
    by_header: dict[str, list[tuple[Any, ...]]] = {}
    for row in db["rows"]:
        by_header.setdefault(row[0], []).append(row)
    ours = {mails[i].header_id: i for i in range(len(mails))}
    stored = {ours[h] for h in by_header if h in ours}
    conversation = {ours[h]: rows[0][1] for h, rows in by_header.items() if h in ours}
    kind = {ours[h]: rows[0][3] for h, rows in by_header.items() if h in ours}
    kinds = Counter(rows[0][3] for rows in by_header.values())
    new = [i for i in accepted & stored if mails[i].parent is None and kind[i] != "bounce"]
    replies = [i for i in accepted if mails[i].parent in accepted]
    mis_threaded = [i for i in replies if conversation.get(i) != conversation.get(mails[i].parent)]
    new_conversations = Counter(conversation[i] for i in new)
    return {
        "accepted": len(accepted),
        "stored": len(db["rows"]),
        "duplicates": len(db["rows"]) - len(by_header),
        "accepted_not_stored": len(accepted - stored),
        "refused_but_stored": len(stored - accepted),
        "not_ours": sum(1 for h in by_header if h not in ours),
        "stored_kinds": dict(sorted(kinds.items())),
        "kind_differs_from_corpus": sum(1 for i in stored if kind[i] != mails[i].kind),
        "customer_messages": db["customer_messages"],
        "customer_messages_expected": sum(
            1 for rows in by_header.values() if rows[0][3] != "bounce"
        ),
        "conversations": db["conversations"],
        "conversations_expected": len(new),
        "new_mails_merged_into_another": len(new) - len(new_conversations),
        "replies_checked": len(replies),
        "mis_threaded": len(mis_threaded),
        "acknowledgements_queued": db["outbox"],
    }


# ---- the run ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ms(values: list[float], p: float) -> float | None:
    found = loadgen.percentile(values, p)
    return None if found is None else round(found * 1000, 2)


def start_py_spy(binary: str, pid: int, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            binary,
            "record",
            "-p",
            str(pid),
            "-r",
            "200",
            "-f",
            "raw",
            "-o",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def top_frames(raw: Path, count: int = 15) -> dict[str, list[str]] | None:
    """From py-spy's collapsed stacks: the functions with the most samples on top of the
    stack (self) and anywhere in it (inclusive), as a share of all samples."""
    if not raw.exists():
        return None
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not number.isdigit():
            continue
        samples = int(number)
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            anywhere[frame] += samples
    if not total:
        return None

    def share(counter: Counter[str]) -> list[str]:
        return [f"{100 * n / total:5.1f}% {frame}" for frame, n in counter.most_common(count)]

    return {"samples": [str(total)], "self": share(own), "inclusive": share(anywhere)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = args.work_dir / f"{args.backend}-{time.strftime('%H%M%S')}"
    work.mkdir(parents=True, exist_ok=True)
    log("generating mail")
    pool, replies, skipped = load_pool(args.pool, args.seed)
    total = args.warmup + args.messages
    mails = plan(total, pool, replies, args.seed, args.senders, gap=2 * args.connections)
    log(f"{total} mails, {sum(len(m.wire) for m in mails) / total / 1024:.1f} KiB on average")
    smtp_port = free_port()
    extra = {
        "BALIE_SMTP_LISTEN": f"127.0.0.1:{smtp_port}",
        "BALIE_EMAIL_SENDER_LIMIT_PER_HOUR": str(SENDER_LIMIT_PER_HOUR),
        # More processes share the SMTP port (SO_REUSEPORT); the kernel spreads connections.
        "BALIE_WORKERS": str(args.workers),
    }
    profile = None
    with chat_load.database(args.backend, work) as url:
        _, how = server.setup(url, work)
        asyncio.run(create_email_inbox(url))
        with server.serving(url, work, args.port, work / "serve.log", extra) as proc:
            pid = int(str(proc["pid"]))
            sampler = chat_load.Sampler(pid)
            delivery = Delivery(smtp_port, mails, args.connections)
            try:
                log(f"warm-up: {args.warmup} mails")
                delivery.run(0, args.warmup)
                spy = None
                if args.py_spy:
                    profile = work / "py-spy.txt"
                    spy = start_py_spy(args.py_spy, pid, profile)
                    time.sleep(1)
                log(f"measured: {args.messages} mails over {args.connections} connections")
                cpu0, pg0 = server.tree_cpu_seconds(pid), chat_load.postgres_cpu_seconds()
                busy0, all0 = chat_load.machine_busy()
                client0 = time.process_time()
                delivery.run(args.warmup, total)
                cpu1, pg1 = server.tree_cpu_seconds(pid), chat_load.postgres_cpu_seconds()
                busy1, all1 = chat_load.machine_busy()
                client1 = time.process_time()
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(60)
            finally:
                delivery.close()
                sampler.close()
            log_tail = (work / "serve.log").read_text(errors="replace")[-1500:]
        log("verifying the database")
        stored = asyncio.run(read_back(url))
    measured = [o for o in delivery.outcomes[args.warmup :] if o is not None]
    ok = [o for o in measured if o.code == "250"]
    seconds = max(o.end for o in measured) - min(o.start for o in measured)
    rate = len(ok) / seconds if seconds else 0.0
    data = sorted(o.end - o.data_end for o in ok)
    whole = sorted(o.end - o.start for o in ok)
    checks = verify(mails, delivery.outcomes, stored)
    refused = Counter(o.code for o in delivery.outcomes if o is not None and o.code != "250")
    return {
        "benchmark": "bench/email_ingest.py",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "backend": args.backend,
        "workers": args.workers,
        "balie_commit": server.source_state(),
        "server": f"{proc['how']} (1 process), SMTP receiver on 127.0.0.1:{smtp_port}",
        "setup": f"{how}; e-mail inbox {INBOX_ADDRESS} by the library",
        "sender_limit_per_hour": SENDER_LIMIT_PER_HOUR,
        "messages": len(measured),
        "warmup": args.warmup,
        "connections": args.connections,
        "senders": args.senders,
        "mix": dict(
            Counter(
                "reply" if m.parent is not None else m.kind for m in mails[args.warmup :]
            ).most_common()
        ),
        "avg_kib": round(sum(len(m.wire) for m in mails) / total / 1024, 1),
        "corpus_left_out": dict(skipped),
        "seconds": round(seconds, 2),
        "msgs_per_s": round(rate, 1),
        "aim_msgs_per_s": AIM_MSGS_PER_S,
        # The rate only counts if every accepted mail was stored once and threaded right.
        "aim_met": rate >= AIM_MSGS_PER_S
        and not (checks["accepted_not_stored"] or checks["duplicates"] or checks["mis_threaded"]),
        "data_to_250_ms": {p: ms(data, n) for p, n in (("p50", 50), ("p95", 95), ("p99", 99))}
        | {"max": ms(data, 100)},
        "mail_from_to_250_ms": {p: ms(whole, n) for p, n in (("p50", 50), ("p99", 99))},
        "server_cpu_ms_per_msg": round(1000 * (cpu1 - cpu0) / max(1, len(ok)), 2),
        "server_cpu_pct": round(100 * (cpu1 - cpu0) / seconds, 1) if seconds else None,
        "postgres_cpu_pct_ceiling": (
            round(100 * (pg1 - pg0) / seconds, 1) if args.backend == "postgres" else None
        ),
        "client_cpu_pct": round(100 * (client1 - client0) / seconds, 1) if seconds else None,
        "machine_busy_pct": round(100 * (busy1 - busy0) / (all1 - all0), 1)
        if all1 > all0
        else None,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "peak_rss_mb": round(sampler.peak_kb / 1024, 1),
        "refused": dict(sorted(refused.items())),
        "replies_waited_for_parent": delivery.waited_for_parent,
        "reconnects": delivery.reconnects,
        **checks,
        **({"profile": top_frames(profile)} if profile else {}),
        "python": platform.python_version(),
        "server_log_tail": log_tail if log_tail.strip() else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--messages", type=int, default=2000, help="measured mails")
    parser.add_argument("--connections", type=int, default=8, help="concurrent SMTP clients")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--warmup", type=int, default=100, help="mails sent before measuring")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--senders", type=int, default=400, help="distinct customer addresses")
    parser.add_argument("--pool", type=int, default=480, help="corpus mails to draw from")
    parser.add_argument(
        "--py-spy",
        metavar="PATH",
        help="py-spy binary: sample the server during the measured phase, report top frames",
    )
    parser.add_argument("--port", type=int, default=8330, help="the server's HTTP port")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/balie-email-bench"))
    parser.add_argument(
        "--source",
        default="HEAD",
        help="git revision of Balie to serve (exported, as bench/api.py does), 'snapshot' "
        "(a copy of the live src/ now) or 'worktree' (the live tree itself)",
    )
    args = parser.parse_args()
    if args.source != "worktree" and "BALIE_BENCH_SOURCE" not in os.environ:
        if args.source == "snapshot":
            commit, src = chat_load.snapshot_source(args.work_dir)
        else:
            commit, src = server.export_source(args.source, args.work_dir)
        env = {**os.environ, "PYTHONPATH": str(src), "BALIE_BENCH_SOURCE": commit}
        script = str(Path(__file__).resolve())
        os.execve(sys.executable, [sys.executable, script, *sys.argv[1:]], env)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.work_dir.mkdir(parents=True, exist_ok=True)
    print(json.dumps(run(args)), flush=True)


if __name__ == "__main__":
    main()
