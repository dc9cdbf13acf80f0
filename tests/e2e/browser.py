"""Launch Debian's Chromium through Playwright (sync API) without Playwright's own browsers.

Usage::

    from playwright.sync_api import sync_playwright
    from tests.e2e.browser import MOBILE_VIEWPORT, launch_browser, screenshot_path

    with sync_playwright() as p:
        browser = launch_browser(p)
        page = browser.new_page(viewport=MOBILE_VIEWPORT)
        page.goto(url)
        page.screenshot(path=screenshot_path("home-mobile"), full_page=True)
        browser.close()

Never run ``playwright install``: the machine has no internet. Override the binary with
LINLI_CHROMIUM=/path/to/chromium if needed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"

# /usr/bin/chromium is Debian's shell wrapper; it works, but it also sources /etc/chromium.d
# (adds --enable-gpu-rasterization, --load-extension=..., a noisy /dev/shm check).
CHROMIUM = os.environ.get("LINLI_CHROMIUM", "/usr/bin/chromium")

CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in CI; the setuid/userns sandbox refuses root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # No internet: stop Chromium from phoning home (updates, safe browsing, sync, ...),
    # which otherwise shows up as stray connections and slow starts.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
]

MOBILE_VIEWPORT = {"width": 390, "height": 844}  # iPhone 12-14 size


def launch_browser(playwright, **kwargs):
    """Return a headless Chromium ``Browser``; extra kwargs go to ``chromium.launch``."""
    args = CHROMIUM_ARGS + list(kwargs.pop("args", []))
    kwargs.setdefault("headless", True)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args, **kwargs)


def screenshot_path(name: str) -> Path:
    """``test-artifacts/screenshots/<name>.png`` under the repo root (directory created)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", name).strip("_") or "screenshot"
    if not stem.endswith(".png"):
        stem += ".png"
    return SCREENSHOT_DIR / stem


def full_page_shot(page, name: str) -> None:
    """Save a full-page screenshot as ``screenshot_path(name)``.

    A full-page capture resizes Chromium's viewport and back; a field still focused then makes
    the next mousedown scroll to where that field was, so the click's mouseup lands elsewhere
    and nothing is clicked. No field is left focused (a person's tap focuses what it taps)."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.screenshot(path=screenshot_path(name), full_page=True)


def log_in(page, base: str, login: str, password: str | None = None) -> None:
    """Sign in through the login form, as a person does (the world's password by default)."""
    from tests.world import PASSWORD

    page.goto(f"{base}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password or PASSWORD)
    page.click("[data-test=login-submit]")
    page.wait_for_load_state()
