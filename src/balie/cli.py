"""The ``balie`` command line."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, TypeVar

import typer
from pydantic import ValidationError

from balie.act import CLI, Act, utcnow
from balie.errors import BalieError
from balie.settings import Settings
from balie.store.database import Database
from balie.store.migrate import migrate as run_migrations

app = typer.Typer(help="Balie: live chat and e-mail in one agent inbox.", no_args_is_help=True)
agent_app = typer.Typer(help="Manage agents.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
analyze_app = typer.Typer(
    help="Run the guardrails on JSON lines from standard input.", no_args_is_help=True
)
app.add_typer(agent_app, name="agent")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(analyze_app, name="analyze")

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(f"balie: setting error: {error['msg']}", err=True)
        raise typer.Exit(2) from None


def _run(work: Callable[[Database], Awaitable[T]], settings: Settings | None = None) -> T:
    """Run one piece of async work against the configured database."""
    settings = settings or _settings()
    if settings.effective_database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)

    async def main() -> T:
        db = Database(settings.effective_database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except BalieError as exc:
        typer.echo(f"balie: {exc.detail}", err=True)
        raise typer.Exit(1) from None


def _serve(settings: Settings) -> None:
    import uvicorn

    from balie.app import create_app

    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "access_log": False,
        # On SIGTERM, stop accepting and let in-flight requests finish for up to this long.
        "timeout_graceful_shutdown": 30,
        "proxy_headers": True,
        # The websockets library, in its sans-I/O form (the live chat's sockets).
        "ws": "websockets-sansio",
        # Chat frames are a few hundred bytes: compressing them saves little, and each
        # connection's zlib state costs far more memory than its messages.
        "ws_per_message_deflate": False,
        # No frame of the protocol comes near this; a bigger one is refused.
        "ws_max_size": 256 * 1024,
    }
    if settings.workers > 1:
        # Each worker process builds its own app from the same BALIE_* environment.
        uvicorn.run("balie.asgi:create", factory=True, workers=settings.workers, **options)
        return
    uvicorn.Server(uvicorn.Config(create_app(settings), **options)).run()


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    _run(run_migrations)
    typer.echo("database is up to date")


@app.command()
def serve(
    no_migrate: Annotated[bool, typer.Option(help="Do not migrate before serving.")] = False,
) -> None:
    """Serve the agent inbox and the API (BALIE_HOST, BALIE_PORT)."""
    settings = _settings()
    if not no_migrate:
        _run(run_migrations, settings)
    typer.echo(f"Balie inbox: {settings.effective_public_url}/", err=True)
    _serve(settings)


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="Fire what is due now, then stop.")] = False,
) -> None:
    """Fire due timers (SLA checks, reminders, surveys), poll IMAP mailboxes and send the
    outbox, without serving pages: run one or more beside `balie serve` with
    BALIE_BACKGROUND_IN_SERVER=false."""
    import signal

    from balie.email.service import EmailService
    from balie.timers.loop import TimerLoop, fire_due

    settings = _settings()

    async def work(db: Database) -> None:
        if once:
            fired = await fire_due(db)
            typer.echo(f"fired {fired} timers")
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        timers = TimerLoop(db, settings.timer_poll_seconds)
        # The outbox (with a relay) and IMAP polling, as `balie serve` would run them; the
        # servers keep taking SMTP. Without a relay the outbox keeps its mail queued.
        mail = EmailService(
            db, settings.model_copy(update={"smtp_listen": "", "background_in_server": True})
        )
        await timers.start()
        await mail.start()
        typer.echo(f"balie worker {timers.name} running", err=True)
        try:
            await stop.wait()
        finally:
            await mail.stop()
            await timers.stop()

    _run(work, settings)


DEMO_SMTP = "127.0.0.1:2525"


@app.command()
def demo(
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
) -> None:
    """Create the database with realistic demo data (once) and serve the inbox."""
    from balie.demo import DEMO_ADDRESS, DEMO_LOGIN, DEMO_PASSWORD, demo_chat_key, load_demo

    settings = _settings()
    if not settings.smtp_listen:
        # The demo takes mail too: anything sent to the demo address arrives in the inbox.
        settings = settings.model_copy(update={"smtp_listen": DEMO_SMTP})

    async def setup(db: Database) -> tuple[bool, str | None]:
        await run_migrations(db)
        loaded = await load_demo(db)
        return loaded, await demo_chat_key(db)

    loaded, chat_key = _run(setup, settings)
    typer.echo("demo data loaded" if loaded else "demo data already present")
    typer.echo(f"Agent inbox: {settings.effective_public_url}/")
    typer.echo(f"Log in as {DEMO_LOGIN} with password {DEMO_PASSWORD}")
    if chat_key:
        typer.echo(
            f"A web shop page with the chat widget: {settings.effective_public_url}"
            f"/chat/demo/{chat_key}"
        )
    typer.echo(
        f"E-mail to {DEMO_ADDRESS} over SMTP at {settings.smtp_listen} arrives in the inbox "
        "(replies wait in the outbox until BALIE_SMTP_RELAY names a mail server)"
    )
    if serve_after:
        _serve(settings)


@agent_app.command("create")
def agent_create(
    email: Annotated[str, typer.Option(help="The agent's e-mail address (log-in).")],
    role: Annotated[str, typer.Option(help="agent, supervisor or admin.")] = "agent",
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    language: Annotated[str, typer.Option(help="nl or en.")] = "nl",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an agent."""
    from balie.agents.actions import create_agent

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    if password_stdin and not password:
        typer.echo("balie: no password on standard input", err=True)
        raise typer.Exit(2)

    async def work(db: Database) -> tuple[int, str]:
        async with db.writing() as session:
            agent = await create_agent(
                Act(session, CLI, utcnow()),
                email=email,
                name=name,
                role=role,
                password=password,
                language=language,
            )
            return agent.id, agent.email

    agent_id, stored_email = _run(work)
    typer.echo(f"agent {agent_id} created: {stored_email} ({role})")


@token_app.command("create")
def token_create(
    agent: Annotated[str, typer.Option(help="E-mail address of the agent.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "api",
) -> None:
    """Create an API token for an agent and print it (it is shown only once)."""
    from balie.agents.actions import create_token

    async def work(db: Database) -> str:
        async with db.writing() as session:
            return await create_token(Act(session, CLI, utcnow()), agent_email=agent, name=name)

    typer.echo(_run(work))


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit chain; exit 1 naming the first entry that is not intact."""
    from balie.audit import verify

    async def work(db: Database) -> tuple[int, object]:
        async with db.reading() as session:
            return await verify(session)

    checked, problem = _run(work)
    if problem is not None:
        typer.echo(f"audit log NOT intact: {problem}", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit log intact: {checked} entries")


def _analyze(kind: Literal["message", "reply"]) -> None:
    from balie.analysis.contract import answer_lines

    failed = 0
    for answer, ok in answer_lines(sys.stdin, kind):
        failed += not ok
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    if failed:
        typer.echo(f"balie: {failed} line(s) could not be analysed", err=True)
        raise typer.Exit(1)


@analyze_app.command("message")
def analyze_message() -> None:
    """Triage: {"id", "text"} per line in; language, sentiment, anger, abusive, severity,
    intent, wants_human and evidence per line out."""
    _analyze("message")


@analyze_app.command("reply")
def analyze_reply() -> None:
    """Coach: {"id", "text", "context", "now"} per line in; verdict, flags and promises out."""
    _analyze("reply")
