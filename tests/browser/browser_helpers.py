"""Helpers for the real-browser tests: console watching, axe-core, phone widths, sign-in.

Every test here runs against pytest-django's ``live_server`` (a real WSGI server with
our middleware, CSP included, and static files served through the finders) in the
headless Chromium configured in ``tests/conftest.py``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
SHOTS = Path("/tmp/tl-shots")  # noqa: S108 - screenshots for a person to look at
PASSWORD = "correct-horse-battery-7"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]

# The NHS CSS asks for Frutiger from assets.nhs.uk; our CSP (font-src 'self') blocks it on
# purpose and the system font is used instead. Nothing else may appear in the console.
EXPECTED_BLOCKED_FONT_HOST = "https://assets.nhs.uk/fonts/"


class Console:
    """Collects console errors and uncaught page errors from every page it watches."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Any) -> Any:
        page.set_default_timeout(10_000)
        page.on("console", lambda message: self._console(message))
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        return page

    def _console(self, message: Any) -> None:
        if message.type not in {"error", "warning"}:
            return
        text = message.text
        if EXPECTED_BLOCKED_FONT_HOST in text and "font-src" in text:
            return
        # Chromium also logs a page that answers 4xx on purpose (the error summary's 400,
        # a used link's 410). Failed *assets* stay errors.
        where = (message.location or {}).get("url", "")
        if text.startswith("Failed to load resource") and "/assets/" not in where:
            return
        if message.type == "warning" and "Content Security Policy" not in text:
            return
        self.errors.append(f"{message.type}: {text} ({where})")

    def assert_clean(self) -> None:
        assert not self.errors, "Console errors:\n" + "\n".join(self.errors)


@functools.cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8") + "\n;typeof axe"


def settled_evaluate(page: Any, script: str, arg: Any = None) -> Any:
    """``page.evaluate`` once the page in front has loaded.

    A test that clicks a link and checks the next page at once can land between documents:
    the old one is gone and the new one has no ``documentElement`` yet, or the evaluation's
    context is destroyed by the navigation. Wait for the load and try again, a few times.
    """
    for attempt in range(5):
        page.wait_for_load_state("load")
        try:
            return page.evaluate(script, arg)
        except Exception as error:  # playwright's Error; retried only for a navigation
            text = str(error)
            between_documents = "of null" in text or "context was destroyed" in text
            if not between_documents or attempt == 4:
                raise
            page.wait_for_timeout(100)
    raise AssertionError("unreachable")


def axe_run(page: Any, *, region: bool = False) -> list[dict[str, Any]]:
    """Every violation of axe's WCAG 2.2 AA rules on the page as it is now, whatever its
    impact, and with ``region`` those of its rule that everything sits in a landmark (a
    best-practice rule, enabled beside the tags: one run for both).

    Only the violations are collected in full and sent back (``resultTypes``): axe still
    runs every rule, but keeps one node of each pass, which on a big page (a heatmap, a
    report) is most of its time and of the result's size.
    """
    if not settled_evaluate(page, "typeof window.axe !== 'undefined'"):
        # Our CSP (script-src 'self' with a nonce) rightly refuses the inline <script> that
        # page.add_script_tag() writes, and bypass_csp would hide real CSP problems. So axe
        # is evaluated through the DevTools protocol, which CSP does not govern.
        page.evaluate(_axe_source())
    options: dict[str, Any] = {"runOnly": {"type": "tag", "values": AXE_TAGS},
                               "resultTypes": ["violations"]}
    if region:
        options["rules"] = {"region": {"enabled": True}}
    violations: list[dict[str, Any]] = page.evaluate(
        "async options => (await axe.run(document, options)).violations", options)
    return violations


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious or critical WCAG 2.2 AA violations on the page as it is now."""
    return [v for v in axe_run(page) if v["impact"] in {"serious", "critical"}]


def assert_accessible(page: Any, what: str) -> None:
    violations = axe_violations(page)
    report = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [node["target"] for node in v["nodes"]][:5],
        }
        for v in violations
    ]
    assert not violations, f"axe on {what} ({page.url}):\n" + json.dumps(report, indent=1)


def at_both_widths(page: Any, check: Callable[[Any, str], None], what: str) -> None:
    """``check(page, what)`` at the page's width (a phone's, in the flows that use this),
    then again at 1280 px, and back. A story run once at 360 px so has every page it
    checks checked at both widths: its clicks and typing do not depend on the width, the
    layout and axe's findings can."""
    first = dict(page.viewport_size)
    check(page, f"{what} ({first['width']} px)")
    page.set_viewport_size(DESKTOP)
    try:
        check(page, f"{what} ({DESKTOP['width']} px)")
    finally:
        page.set_viewport_size(first)


def assert_no_sideways_scroll(page: Any, what: str) -> None:
    widths = settled_evaluate(
        page, "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert widths[0] <= widths[1], f"{what} scrolls sideways: {widths[0]} > {widths[1]} px"


def assert_nhs_styles_and_script(page: Any) -> None:
    """The NHS CSS applied (blue header) and the template's nonce'd inline script ran.

    That the NHS *module* script ran is shown where it acts: the error summary takes the
    focus and the character count draws its message (see test_accessibility).
    """
    header = page.evaluate(
        "getComputedStyle(document.querySelector('.nhsuk-header')).backgroundColor"
    )
    assert header == "rgb(0, 94, 184)", f"NHS CSS not applied: header is {header}"
    assert page.evaluate("document.body.classList.contains('nhsuk-frontend-supported')")


def screenshot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def sign_in(page: Any, base_url: str, username: str, *, next_path: str = "") -> None:
    """Sign in through the login page, as a person would."""
    page.goto(f"{base_url}/accounts/login/" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # The click starts a navigation that may not have begun when it returns (on a busy
    # machine, load-state waits can resolve on the login page itself): wait for the URL.
    try:
        page.wait_for_url(lambda url: "/accounts/login/" not in url, timeout=15_000)
    except Exception as error:  # Playwright's TimeoutError, reported plainly
        problem = page.locator(".nhsuk-error-summary").all_inner_texts()
        raise AssertionError(f"sign-in failed: {problem or error}") from error


def answer_scale_page(page: Any, choices: list[str]) -> None:
    """Click the label of the chosen answer for each statement on a condition page."""
    fieldsets = page.locator("form#main-form fieldset fieldset")
    assert fieldsets.count() == len(choices)
    for index, choice in enumerate(choices):
        fieldset = fieldsets.nth(index)
        exact = re.compile(rf"^\s*{re.escape(choice)}\s*$")
        fieldset.locator("label", has_text=exact).click()
        assert fieldset.get_by_label(choice, exact=True).is_checked()


def assert_page_checked(page: Any, what: str) -> None:
    """No sideways scroll, nothing serious or critical from axe, and every part of the page
    inside a landmark (axe's `region` rule, which it rates only "moderate")."""
    assert_no_sideways_scroll(page, what)
    violations = axe_run(page, region=True)
    serious = [v for v in violations if v["impact"] in {"serious", "critical"}]
    assert not serious, f"{what}: {[v['id'] for v in serious]}"
    outside = [v for v in violations if v["id"] == "region"]
    assert not outside, f"{what}: content outside landmarks"
