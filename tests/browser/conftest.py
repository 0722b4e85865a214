"""Fixtures of the browser tests."""

import secrets

import pytest
from playwright.sync_api import Browser

from tests.browser.helpers import PT_BR


@pytest.fixture
def word() -> str:
    """A word no other test's items carry, so searches find only this test's items."""
    return "ax" + secrets.token_hex(3)


@pytest.fixture
def pt_page(browser: Browser):
    """A page in a browser whose language is Brazilian Portuguese."""
    context = browser.new_context(**PT_BR)
    yield context.new_page()
    context.close()
