"""A live server for browser tests: the session's app, served by werkzeug in a thread,
against the committed test world (browser tests never use the ``rollback`` fixture)."""

import threading

import pytest


@pytest.fixture(scope="session")
def live_server(app, world):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    port = server.server_port
    # SERVER_NAME=localhost (for url_for in tests) does not restrict routing in Flask 3.1,
    # so the browser can talk to 127.0.0.1:<port>.
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
