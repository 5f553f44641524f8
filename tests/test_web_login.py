"""Logging in to the inbox: no user enumeration, a rate limit, CSRF, log-out."""

from __future__ import annotations

from typing import Any

from balie.store.database import Database
from tests.conftest import PASSWORD, MakeAgent, snapshot
from tests.test_web_support import csrf_of, log_in, page_csrf, web_client


async def test_logged_out_pages_redirect_to_login(app: Any) -> None:
    async with web_client(app) as browser:
        for path in ("/", "/conversations/1", "/customers/1", "/search?q=lek"):
            r = await browser.get(path)
            assert r.status_code == 303, path
            assert r.headers["location"].startswith("/login?next=")


async def test_login_then_inbox_then_logout(app: Any, make_agent: MakeAgent) -> None:
    person = await make_agent("agent", name="Ayla Kaya")
    async with web_client(app) as browser:
        r = await log_in(browser, person.email)
        assert r.status_code == 303 and r.headers["location"] == "/"
        inbox = await browser.get("/")
        assert inbox.status_code == 200
        assert "Ayla Kaya" in inbox.text
        again = await browser.get("/login")
        assert again.status_code == 303 and again.headers["location"] == "/"
        r = await browser.post("/logout", data={"csrf": csrf_of(inbox.text)})
        assert r.status_code == 303
        assert (await browser.get("/")).status_code == 303


async def test_unknown_email_and_wrong_password_look_the_same(
    app: Any, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent")
    async with web_client(app) as browser:
        wrong_password = await log_in(browser, person.email, "not the password")
        unknown = await log_in(browser, "nobody@balie-test.nl", PASSWORD)
    assert wrong_password.status_code == unknown.status_code == 401
    message = "That e-mail address and password do not match an account."
    assert message in wrong_password.text and message in unknown.text
    # Apart from the e-mail echoed back into the form, the pages are identical.
    assert wrong_password.text.replace(person.email, "X") == unknown.text.replace(
        "nobody@balie-test.nl", "X"
    ).replace(csrf_of(unknown.text), csrf_of(wrong_password.text))


async def test_too_many_failures_lock_even_the_right_password(
    app: Any, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent")  # the test settings allow 3 failures per window
    async with web_client(app) as browser:
        for _ in range(3):
            assert (await log_in(browser, person.email, "guess")).status_code == 401
        r = await log_in(browser, person.email, PASSWORD)
        assert r.status_code == 429
        assert "Try again in 5 minutes" in r.text
        assert (await browser.get("/")).status_code == 303  # still not logged in


async def test_failures_from_one_address_lock_every_account(
    app: Any, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent")
    async with web_client(app) as browser:
        for n in range(3):
            await log_in(browser, f"guess-{n}@balie-test.nl", "guess")
        assert (await log_in(browser, person.email, PASSWORD)).status_code == 429


async def test_login_form_without_csrf_is_refused(app: Any, make_agent: MakeAgent) -> None:
    person = await make_agent("agent")
    async with web_client(app) as browser:
        await browser.get("/login")
        r = await browser.post("/login", data={"email": person.email, "password": PASSWORD})
        assert r.status_code == 403
        assert (await browser.get("/")).status_code == 303


async def test_post_without_csrf_changes_nothing(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent")
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        await page_csrf(browser)
        before = await snapshot(db)
        for data in ({}, {"csrf": "forged"}):
            r = await browser.post("/language", data={**data, "language": "en", "next": "/"})
            assert r.status_code == 403
            assert "CSRF" in r.text
        r = await browser.post("/logout", data={"csrf": "forged"})
        assert r.status_code == 403
        assert await snapshot(db) == before
        assert (await browser.get("/")).status_code == 200  # still logged in


async def test_login_page_speaks_dutch_unless_the_browser_asks_for_english(app: Any) -> None:
    async with web_client(app) as browser:
        english = await browser.get("/login")
        dutch = await browser.get("/login", headers={"Accept-Language": "nl-NL,nl;q=0.9"})
        neither = await browser.get("/login", headers={"Accept-Language": "de-DE"})
    assert "Log in to the inbox." in english.text
    assert "Log in op de inbox." in dutch.text and '<html lang="nl">' in dutch.text
    assert "Log in op de inbox." in neither.text


async def test_after_login_only_local_paths_are_followed(app: Any, make_agent: MakeAgent) -> None:
    person = await make_agent("agent")
    async with web_client(app) as browser:
        page = await browser.get("/login")
        for target in ("https://evil.example/", "//evil.example", "/\t/evil.example", "/\\evil"):
            await browser.post("/logout", data={"csrf": csrf_of(page.text)})
            page = await browser.get("/login")
            r = await browser.post(
                "/login",
                data={
                    "email": person.email,
                    "password": PASSWORD,
                    "csrf": csrf_of(page.text),
                    "next": target,
                },
            )
            assert r.headers["location"] == "/", target
            page = await browser.get("/")
        r = await browser.get("/login?next=/customers/1")
        assert r.headers["location"] == "/customers/1"


async def test_parallel_guesses_cannot_outrun_the_limit(app: Any, make_agent: MakeAgent) -> None:
    import asyncio

    from tests.test_web_support import csrf_of

    person = await make_agent("agent")  # the test settings allow 3 failures per window
    async with web_client(app) as browser:
        token = csrf_of((await browser.get("/login")).text)
        form = {"email": person.email, "password": "guess", "csrf": token, "next": "/"}
        answers = await asyncio.gather(*(browser.post("/login", data=form) for _ in range(12)))
    codes = sorted(r.status_code for r in answers)
    assert codes.count(401) == 3 and codes.count(429) == 9


async def test_a_good_log_in_does_not_use_up_an_attempt(app: Any, make_agent: MakeAgent) -> None:
    person = await make_agent("agent")
    for _ in range(4):
        async with web_client(app) as browser:
            assert (await log_in(browser, person.email)).status_code == 303
