"""A browser-like HTTP client of the shop through nginx: cookies, CSRF tokens, htmx headers."""

import re
import secrets

import requests

CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
DEFAULT_PASSWORD = "correct horse battery"
#: seconds a test waits for an answer: past nginx's own 40 s (proxy_read_timeout, then its 503), so
#: only a hung server meets it, and fails the test instead of hanging the suite
TIMEOUT = 60


def new_login(prefix: str = "user") -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


class TimedSession(requests.Session):
    """A requests session whose every call gives up after TIMEOUT seconds unless it says otherwise."""

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(method, url, *args, **kwargs)


class ShopClient:
    """One visitor: a cookie jar, and helpers that fill in the CSRF token like the pages do."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = TimedSession()
        self.login_name: str | None = None

    def get(self, path: str, htmx: bool = False, **kwargs) -> requests.Response:
        headers = {"HX-Request": "true"} if htmx else {}
        return self.http.get(
            self.base_url + path, headers=headers, allow_redirects=kwargs.pop("follow", True), **kwargs
        )

    def csrf_token(self) -> str:
        """The token the current session's pages carry (taken from a page, as a browser would)."""
        html = self.get("/users/login" if self.login_name is None else "/users/account").text
        match = CSRF_HEADER.search(html) or CSRF_FIELD.search(html)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def post(self, path: str, data: dict | None = None, *, htmx: bool = False, csrf: bool = True, follow=False):
        """A form post (or, with htmx=True, an htmx post sending the token as a header)."""
        data = dict(data or {})
        headers = {"Origin": self.base_url, "Referer": self.base_url + path}
        if csrf:
            token = self.csrf_token()
            if htmx:
                headers["X-CSRFToken"] = token
            else:
                data["csrf_token"] = token
        if htmx:
            headers["HX-Request"] = "true"
        return self.http.post(self.base_url + path, data=data, headers=headers, allow_redirects=follow)

    def register(
        self, login: str | None = None, password: str = DEFAULT_PASSWORD, email: str | None = None
    ) -> requests.Response:
        login = login or new_login()
        email = email or f"{login}@example.com"
        response = self.post("/users/register", {"login": login, "email": email, "password": password})
        if response.status_code == 303:
            self.login_name = login
        return response

    def login(self, login: str, password: str = DEFAULT_PASSWORD) -> requests.Response:
        response = self.post("/users/login", {"login": login, "password": password})
        assert response.status_code == 303, f"login failed: {response.status_code}"
        self.login_name = login
        return response

    def logout(self) -> requests.Response:
        response = self.post("/users/logout")
        self.login_name = None
        return response

    def api_token(self, login: str, password: str = DEFAULT_PASSWORD) -> str:
        response = requests.post(
            self.base_url + "/users/api/tokens", json={"login": login, "password": password}, timeout=TIMEOUT
        )
        assert response.status_code == 201, response.text
        return response.json()["token"]

    def api(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        """A JSON API call with a bearer token and no cookies."""
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.base_url + path, headers=headers, timeout=15, **kwargs)


def find_user(client: ShopClient, admin_token: str, login: str) -> dict:
    """A user as the admin API lists it, looked up by login (newest users are on the last pages)."""
    first = client.api("GET", "/users/api/users?per_page=100", admin_token).json()
    last_page = max(1, -(-first["total"] // 100))
    for page in range(last_page, 0, -1):
        listing = client.api("GET", f"/users/api/users?per_page=100&page={page}", admin_token).json()
        for user in listing["items"]:
            if user["login"] == login:
                return user
    raise AssertionError(f"no user {login!r}")
