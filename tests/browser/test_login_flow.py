"""In Chromium through nginx: one login across the three apps, and one logout that ends it everywhere."""

import re

from playwright.sync_api import Page, expect

from stacktools.client import DEFAULT_PASSWORD, new_login


def test_register_login_see_name_on_every_app_then_logout_everywhere(stack, page: Page):
    login = new_login("browser")
    page.goto(stack.url("/users/register"))
    page.get_by_label("Login").fill(login)
    page.get_by_label("E-mail address").fill(f"{login}@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/inventory/$"))
    expect(page.locator("#nav-user")).to_have_text(login)

    for path in ("/inventory/", "/orders/", "/users/account"):
        page.goto(stack.url(path))
        expect(page.locator("#nav-user")).to_have_text(login)

    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#nav-login")).to_be_visible()
    for path in ("/inventory/", "/users/login"):
        page.goto(stack.url(path))
        expect(page.locator("#nav-user")).to_have_count(0)
    page.goto(stack.url("/orders/"))
    expect(page).to_have_url(re.compile(r"/users/login\?next="))

    # Logging in again on the login page brings the user back where they were going.
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/orders/$"))
    expect(page.locator("#nav-user")).to_have_text(login)


def test_registration_errors_appear_next_to_the_field(stack, page: Page):
    page.goto(stack.url("/users/register"))
    page.get_by_label("Login").fill("ab")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#login-error")).to_have_text("Use 3 to 64 characters.")
    expect(page.locator("#password-error")).to_have_text("Use at least 8 characters.")
    expect(page.get_by_label("Login")).to_have_attribute("aria-invalid", "true")
