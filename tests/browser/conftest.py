"""Real browsers against real servers: Debian's Chromium driven by Playwright, and a daphne
per test (the test database is emptied between tests, so a server must not outlive one).

Playwright's sync API runs an event loop in this thread while a browser is open; Django then
refuses ORM calls here as "async unsafe" although nothing runs concurrently. The
``playwright`` fixture allows them for its lifetime only, and never for the child processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.factories import PASSWORD, PetFactory, StaffFactory
from tests.support.servers import ROOT, Daphne, run_in_shell

CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"  # Debian's, as CI installs it
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUTPUT = ROOT / "test-output" / "browser"
SAFE_CHILD = {"DJANGO_ALLOW_ASYNC_UNSAFE": ""}  # children keep Django's async-safety check


def chromium_problem(path: str) -> str | None:
    """Why the browser tests cannot start Chromium at ``path``, in one line, or None."""
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return None
    return (
        f"The browser tests (tests/browser) need Chromium, and {path} is "
        f"{'not executable' if os.path.exists(path) else 'missing'}: install it with "
        "`apt-get install chromium`, or set CHROMIUM_PATH to another Chromium's executable "
        "(or leave them out: --ignore=tests/browser)."
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Before any test runs: stop in one clear line, not with an error per browser test."""
    here = Path(__file__).parent
    if any(here in Path(str(item.path)).parents for item in session.items):
        problem = chromium_problem(CHROMIUM)
        if problem:
            pytest.exit(problem, returncode=pytest.ExitCode.USAGE_ERROR)


class BrowserDaphne(Daphne):
    """Daphne serving the project and its static files, logging to a file of the test."""

    application = "tests.browser.asgi:application"

    def __init__(self, log: Path, port: int | None = None):
        super().__init__(port, log=log, **SAFE_CHILD)

    def pause(self) -> None:
        """Freeze the process: its sockets stay open but nothing answers (a dead connection)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.resume()  # a stopped process cannot act on SIGTERM
        super().stop()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[BrowserDaphne]:
    daphne = BrowserDaphne(tmp_path / "daphne.log")
    with daphne:
        yield daphne


def shell(code: str) -> subprocess.CompletedProcess:
    """Run ORM code in ``manage.py shell``: a change made by another OS process."""
    return run_in_shell(code, **SAFE_CHILD)


@pytest.fixture
def ada(db):
    """Ada runs the admin: a superuser, so she sees every model."""
    return StaffFactory(username="ada_admin", is_superuser=True, first_name="Ada")


@pytest.fixture
def luna(alice):
    return PetFactory(owner=alice, name="Luna", species="Perro", age=3)


@pytest.fixture
def playwright(monkeypatch: pytest.MonkeyPatch) -> Iterator[Playwright]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as running:
        yield running
        # While Playwright's loop runs, Django keeps separate connections; close them, or
        # PostgreSQL refuses to drop the test database at the end of the run.
        connections.close_all()


@pytest.fixture
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


class Problems:
    """What went wrong in the page: uncaught errors and dialogs (an alert() means injected script ran)."""

    def __init__(self, page: Page):
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@contextmanager
def browser_page(browser: Browser, screenshot: Path) -> Iterator[Page]:
    """A page in a browser context of its own (its own cookies: another person's browser)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.problems = Problems(page)  # type: ignore[attr-defined]
    page.sockets = []  # type: ignore[attr-defined]  # the URL of every WebSocket the page opened
    page.on("websocket", lambda ws: page.sockets.append(ws.url))  # type: ignore[attr-defined]
    yield page
    if page.problems.errors and not page.is_closed():  # type: ignore[attr-defined]
        page.screenshot(path=str(screenshot))
    context.close()
    assert not page.problems.errors, page.problems.errors  # type: ignore[attr-defined]


@pytest.fixture
def page(browser: Browser, tmp_path: Path) -> Iterator[Page]:
    with browser_page(browser, tmp_path / "failure.png") as opened:
        yield opened


@pytest.fixture
def second_page(browser: Browser, tmp_path: Path) -> Iterator[Page]:
    """Another person's browser, beside ``page``'s (two staff members at the same time)."""
    with browser_page(browser, tmp_path / "failure-second.png") as opened:
        yield opened


def admin_login(page: Page, server: Daphne, user, next_url: str = "/admin/") -> None:
    page.goto(f"{server.http}/admin/login/?next={next_url}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("input[type=submit]")
    assert page.url.endswith(next_url), page.url


def save_screenshot(page: Page, tmp_path: Path, name: str) -> Path:
    """Into the test's folder and into test-output/browser/ (the copy the docs use)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(tmp_path / name))
    page.screenshot(path=str(OUTPUT / name))
    return OUTPUT / name
