"""Browser tests: the session's app (and its committed world) served by werkzeug in a thread,
driven by Debian's Chromium. Browser tests commit for real (never the ``rollback`` fixture):
they make their own people and things with unique names instead of changing the world's."""

import threading

import pytest
from werkzeug.serving import make_server


@pytest.fixture(scope="session")
def live_server(app, world):
    # SERVER_NAME=localhost (for url_for in tests) does not restrict routing in Flask 3.1
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
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
