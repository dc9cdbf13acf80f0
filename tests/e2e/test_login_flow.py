"""The first browser test: a resident signs in on a phone, switches language, signs out; a
district officer opens the district page on a desktop.

The app runs in a real server thread against the test database (``live_server``,
tests/e2e/conftest.py). The ``rollback`` fixture cannot be shared across threads, so these
tests use the committed world and create nothing
(switching the language does write the choice on the user: the flow switches back).
Screenshots go to test-artifacts/screenshots/.
"""

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.browser import MOBILE_VIEWPORT, launch_browser, screenshot_path
from tests.world import PASSWORD

DESKTOP_VIEWPORT = {"width": 1366, "height": 900}


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            yield browser
        finally:
            browser.close()


def assert_fits_a_phone(page, width=MOBILE_VIEWPORT["width"]):
    """Nothing wider than the screen; resident text 18px or more; every button and field at
    least 44px tall (60px for the main action)."""
    # after a form post the new document can be in the DOM before its stylesheet applies:
    # measured then, every element has the browser's default 16px
    page.wait_for_load_state("load")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"page scrolls sideways: {scroll}px"
    tiny = page.evaluate("""() => [...document.body.querySelectorAll('*')]
        .filter(e => e.offsetParent !== null && [...e.childNodes].some(
            n => n.nodeType === 3 && n.textContent.trim()))
        .filter(e => parseFloat(getComputedStyle(e).fontSize) < 18)
        .map(e => e.tagName + ': ' + e.textContent.trim().slice(0, 40))""")
    assert not tiny, f"text under 18px on a resident page: {tiny}"
    small = page.evaluate("""() => [...document.querySelectorAll(
            'button, input:not([type=hidden]):not([type=checkbox]), select, a.button, .action-tile')]
        .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
        .map(e => e.outerHTML.slice(0, 80))""")
    assert not small, f"tap targets under 44px: {small}"
    primary = page.locator(".button--primary")
    for i in range(primary.count()):
        assert primary.nth(i).bounding_box()["height"] >= 60


def test_resident_signs_in_switches_language_and_signs_out(live_server, chromium, world, app):
    context = chromium.new_context(viewport=MOBILE_VIEWPORT, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        assert_fits_a_phone(page)
        page.screenshot(path=screenshot_path("login-zh-mobile"), full_page=True)

        page.get_by_label(re.compile("Phone number or user name|手机号")).fill("c1_red")
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("[data-test=login-submit]").click()
        page.wait_for_url(f"{live_server}/c/{world.slugs['c1']}/")
        expect(page.locator("h1")).to_contain_text("c1 red person")
        expect(page.locator(".brand")).to_contain_text("Community c1")
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        assert_fits_a_phone(page)
        page.screenshot(path=screenshot_path("community-home-zh-mobile"), full_page=True)

        page.locator("button[name=locale][value=en]").click()
        page.wait_for_url(f"{live_server}/c/{world.slugs['c1']}/")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("h1")).to_have_text("Hello, c1 red person")
        expect(page.locator("[data-test=logout]")).to_have_text("Sign out")
        # the switch now offers Chinese, labelled in Chinese
        expect(page.locator("button[name=locale][value=zh_Hans_CN]")).to_have_text("中文")
        assert_fits_a_phone(page)
        page.screenshot(path=screenshot_path("community-home-en-mobile"), full_page=True)

        # the large-text switch, and browser zoom to 200% (half the CSS width): nothing breaks
        page.locator("form[action='/display/large-text'] button").click()
        expect(page.locator("html")).to_have_class("text-large")
        assert_fits_a_phone(page)
        page.screenshot(path=screenshot_path("community-home-en-large-text-mobile"), full_page=True)
        page.locator("form[action='/display/large-text'] button").click()
        expect(page.locator("html")).not_to_have_class("text-large")
        page.set_viewport_size({"width": 195, "height": 422})
        assert_fits_a_phone(page, width=195)
        page.screenshot(path=screenshot_path("community-home-en-zoom200-mobile"), full_page=True)
        page.set_viewport_size(MOBILE_VIEWPORT)

        # back to Chinese (the choice is kept on the user: leave the world as it was found)
        page.locator("button[name=locale][value=zh_Hans_CN]").click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")

        page.locator("[data-test=logout]").click()
        page.wait_for_url(f"{live_server}/login")
        expect(page.locator("[data-test=login-submit]")).to_be_visible()
        expect(page.locator("[data-test=logout]")).to_have_count(0)
        page.screenshot(path=screenshot_path("signed-out-zh-mobile"), full_page=True)
        # signed out for real: the community page asks to sign in again
        page.goto(f"{live_server}/c/{world.slugs['c1']}/")
        assert page.url.startswith(f"{live_server}/login")
    finally:
        context.close()
        _forget_language_choice(app, "c1_red")


def _forget_language_choice(app, login):
    """The switch saved a language on the (committed) world user: clear it, so other tests
    meet c1_red as the world made her (no saved language)."""
    from core.extensions import db
    from core.identity.actions import find_user_by_login

    with app.app_context():
        find_user_by_login(login).locale = None
        db.session.commit()


def test_wrong_password_is_explained_in_words(live_server, chromium):
    context = chromium.new_context(viewport=MOBILE_VIEWPORT, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.locator("input[name=login]").fill("c1_red")
        page.locator("input[name=password]").fill("not the password")
        page.locator("[data-test=login-submit]").click()
        summary = page.locator(".error-summary")
        expect(summary).to_be_visible()
        expect(summary).to_contain_text("The phone number, user name or password is not right.")
        assert_fits_a_phone(page)
        page.screenshot(path=screenshot_path("login-error-en-mobile"), full_page=True)
    finally:
        context.close()


def test_district_page_on_a_desktop(live_server, chromium, world):
    context = chromium.new_context(viewport=DESKTOP_VIEWPORT, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")
        page.locator("input[name=login]").fill("d1_admin")
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("[data-test=login-submit]").click()
        page.wait_for_url(f"{live_server}/d/{world.slugs['d1']}/")
        expect(page.locator("h1")).to_have_text("District d1")
        rows = page.locator("table.table tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("Community c1")
        expect(rows.nth(1)).to_contain_text("Community c3")
        expect(page.locator("table.table")).not_to_contain_text("Community c2")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= DESKTOP_VIEWPORT["width"]
        page.screenshot(path=screenshot_path("district-zh-desktop"), full_page=True)
    finally:
        context.close()
