"""One started system and one headless Chromium (the distribution's, driven by Playwright)
shared by the browser tests; every page visited is screenshotted under var/screenshots/ and
checked for browser console errors and form controls without an accessible name."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from tests.conftest import Databases
from tests.e2e.console.system import PASSWORD, ConsoleSystem

SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"

# Every visible form control must have a name a screen reader can announce.
UNNAMED_CONTROLS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button')].filter(el => {
  if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
  if (el.id && document.querySelector(`label[for="${el.id}"]`)) return false;
  if (el.closest('label')) return false;
  if (el.tagName === 'BUTTON' && el.textContent.trim()) return false;
  return true;
}).map(el => el.outerHTML.slice(0, 120))"""


@pytest.fixture(scope="module")
def system(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConsoleSystem]:
    started = ConsoleSystem(tmp_path_factory.mktemp("consoles"), databases)
    started.start()
    yield started
    started.stop()


# Module-scoped like the system: Playwright's driver runs its own event loop, closed before
# the worker's async tests that follow (slow tests are scheduled first).
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("no chromium on this machine: run `make services` (it installs it)")
    # --no-sandbox: the suite runs as root in CI, where Chromium's sandbox refuses to start.
    launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    yield launched
    launched.close()


@dataclass
class Visitor:
    """A browser tab of one user; `seen` checks and screenshots the page it is on."""

    page: Page
    name: str
    errors: list[str] = field(default_factory=list)
    shots: int = 0

    def seen(self, label: str, *, refused: bool = False) -> None:
        self.shots += 1
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.name}-{self.shots:02d}-{label}".lower())
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / f"{slug}.png", full_page=True)
        assert self.page.evaluate(UNNAMED_CONTROLS) == [], label
        # A page answered with a 4xx on purpose (a refusal, a form shown again with its errors)
        # is announced by Chromium as a failed load; nothing else may fail.
        errors = [e for e in self.errors if not (refused and "Failed to load resource" in e)]
        assert errors == [], label
        self.errors.clear()

    def log_in(self, base: str, username: str, password: str = PASSWORD) -> None:
        self.page.goto(f"{base}/console/login")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.seen("login")
        self.page.get_by_role("button", name="Log in").click()


@pytest.fixture
def open_tab(
    browser: Browser, request: pytest.FixtureRequest
) -> Iterator[Callable[[str], Visitor]]:
    contexts = []

    def make(name: str) -> Visitor:
        # 1000 px wide: the screenshots serve docs/console.md as they are.
        context = browser.new_context(viewport={"width": 1000, "height": 720})
        contexts.append(context)
        page = context.new_page()
        visitor = Visitor(page, f"{request.node.name}-{name}")

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                visitor.errors.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: visitor.errors.append(str(error)))
        return visitor

    yield make
    for context in contexts:
        context.close()
