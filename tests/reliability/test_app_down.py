"""An app that is down (starting, restarting, crashed) gets an answer from nginx in the shop's
words: 503 with Retry-After, a page in both languages, or the API's error shape (nginx.conf,
`error_page 502 504 =503 @unavailable`); the other apps keep serving."""

import pytest
import requests

from stacktools.stack import Stack, serve


@pytest.fixture(scope="module")
def stack(request):
    yield from serve(Stack(instances=1, database="sqlite"), request)


def test_a_stopped_app_is_a_clear_503_and_the_rest_of_the_shop_keeps_working(stack):
    stack.stop("users")
    try:
        page = requests.get(stack.url("/users/login"), timeout=10)
        assert page.status_code == 503
        assert page.headers["Retry-After"] == "5"
        assert page.headers["Content-Type"].startswith("text/html")
        assert "A part of the shop is not answering" in page.text
        assert "Uma parte da loja não está respondendo" in page.text
        assert "nginx" not in page.text.lower()
        assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert page.headers["X-Content-Type-Options"] == "nosniff"

        api = requests.post(stack.url("/users/api/tokens"), json={"login": "a", "password": "b"}, timeout=10)
        assert api.status_code == 503
        assert api.headers["Content-Type"].startswith("application/json")
        assert api.json()["error"]["code"] == "service_unavailable"

        catalog = requests.get(stack.url("/inventory/"), timeout=10)
        assert catalog.status_code == 200 and "catalog-results" in catalog.text
    finally:
        stack.start("users")
    assert requests.get(stack.url("/users/login"), timeout=10).status_code == 200


def test_an_apps_own_error_answers_pass_through_untouched(stack):
    missing = requests.get(stack.url("/users/api/me"), timeout=10)
    assert missing.status_code == 401  # the app's answer (no token), not nginx's page
    assert missing.json()["error"]["code"] == "unauthorized"
    assert "Retry-After" not in missing.headers


def test_a_reset_confirm_or_restore_link_followed_while_users_is_down_leaves_its_token_in_no_log(stack):
    """nginx's error line for an app that does not answer quotes the request line: a password reset
    link clicked while users restarts put its token (good for 30 minutes) into nginx-error.log."""
    secret = "Zq4-not-a-real-token-" + "x" * 20
    stack.stop("users")
    try:
        for path in (
            f"/users/password/reset/{secret}",
            f"/users/email/restore/{secret}",
            f"/users/email/confirm/{secret}",  # good for 24 hours to its account's browser
            f"/users/password%2Freset/{secret}",
            f"/users/language?lang=pt_BR&next=%2Fusers%2Fpassword%2Freset%2F{secret}",  # the switch on its page
            "/users/login",
        ):
            assert requests.get(stack.url(path), timeout=10).status_code == 503
    finally:
        stack.start("users")
    errors = (stack.var_dir / "logs" / "nginx-error.log").read_text()
    assert "/users/login" in errors  # users was down, and nginx said so,
    assert secret not in errors  # never with a link's token
