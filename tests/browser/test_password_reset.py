"""In Chromium through nginx: "Forgot your password?" on the login page, the link from the e-mail
the `mail` process received, a new password, and the same link refused a second time."""

import re

from playwright.sync_api import Page, expect

from stacktools.client import ShopClient, new_login
from tests.mail_server import LINK, text_of, wait_for_mail


def test_a_customer_resets_a_forgotten_password_by_the_emailed_link(stack, page: Page):
    login = new_login("forgot")
    email = f"{login}@example.com"
    assert ShopClient(stack.base_url).register(login, email=email).status_code == 303

    page.goto(stack.url("/users/login"))
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator("#reset-sent")).to_contain_text("If an account has this address")

    [message] = wait_for_mail(stack, email)
    link = LINK.search(text_of(message)).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password").fill("a brand new password")
    page.get_by_role("button", name="Set the new password").click()
    expect(page).to_have_url(re.compile(r"/users/login$"))

    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill("a brand new password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#nav-user")).to_have_text(login)

    page.goto(link)
    expect(page.locator("#reset-refused")).to_contain_text("This link was used already")
