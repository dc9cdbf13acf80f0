"""A live server for browser tests: the session's app (and its committed world) served by
werkzeug in a thread. Browser tests therefore commit for real: they make their own people
with unique names instead of changing the world's."""

import threading

import pytest
from werkzeug.serving import make_server


@pytest.fixture(scope="session")
def live_server(app, world):
    server = make_server("localhost", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    from tests.e2e.browser import launch_browser

    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            yield browser
        finally:
            browser.close()
