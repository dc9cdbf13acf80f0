import pytest


@pytest.fixture
def web(app, rollback, world):
    """These tests read the pages' wording in English (the catalogue translates it for
    Chinese readers; the browser test walks the pages in both languages)."""
    from tests.helpers import WebClient

    return WebClient(app, world, language="en")
