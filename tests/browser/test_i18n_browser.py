"""In Chromium through nginx: the shop speaks the browser's language (English or Brazilian Portuguese)
until the shopper picks one with the switch in the layout; the choice holds in every app, survives
logging out, and follows the account to another browser."""

import re

from playwright.sync_api import Browser, Page, expect

from stacktools.client import DEFAULT_PASSWORD
from tests.browser.helpers import PT_BR, add_item, register_user


def log_in_pt(stack, page: Page, login: str) -> None:
    page.goto(stack.url("/users/login"))
    page.get_by_label("Login", exact=True).fill(login)
    page.get_by_label("Senha", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Entrar", exact=True).click()
    expect(page.locator("#nav-user")).to_have_text(login)


def test_a_portuguese_browser_gets_the_shop_in_portuguese(stack, browser: Browser, word):
    add_item(stack, f"Garrafa {word}", price="1234.56", quantity=2)
    context = browser.new_context(**PT_BR)
    page = context.new_page()
    page.goto(stack.url("/inventory/"))
    expect(page.locator("html")).to_have_attribute("lang", "pt-BR")
    expect(page.get_by_role("heading", level=1)).to_have_text("Catálogo")
    page.get_by_label("Buscar itens").fill(word)
    row = page.locator("#catalog-items tr")
    expect(row).to_have_count(1)
    expect(row.locator(".item-price")).to_have_text(re.compile(r"^US\$\s1\.234,56$"))  # the shop sells in dollars
    expect(row.locator(".item-availability")).to_have_text("Só restam 2")
    expect(page.locator("#announcer")).to_have_text("1 item encontrado.")
    page.get_by_label("Buscar itens").fill(word + "x")
    expect(page.locator("#catalog-results .empty-state")).to_have_text(f"Nenhum item corresponde a “{word}x”.")
    context.close()


def test_the_switch_changes_every_app_and_the_choice_outlives_logout(stack, page: Page):
    login = register_user(stack)
    page.goto(stack.url("/users/login"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Português (Brasil)").click()
    expect(page).to_have_url(re.compile(r"/users/login$"))  # back where the switch was used
    expect(page.locator("html")).to_have_attribute("lang", "pt-BR")
    expect(page.locator(".flashes")).to_contain_text("Idioma alterado para Português (Brasil).")
    log_in_pt(stack, page, login)
    for path, heading in (("/inventory/", "Catálogo"), ("/users/account", "Sua conta")):
        page.goto(stack.url(path))
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.get_by_role("navigation", name="Principal")).to_contain_text("Meus pedidos")
    page.goto(stack.url("/orders/"))
    expect(page.locator("html")).to_have_attribute("lang", "pt-BR")  # orders_app reads the same session
    expect(page.get_by_role("heading", level=1)).to_have_text("Meus pedidos")
    expect(page.locator("#order-list .empty-state")).to_contain_text("Você ainda não tem pedidos.")

    page.get_by_role("button", name="Sair").click()
    expect(page.get_by_role("link", name="Entrar")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()


def test_the_language_follows_the_account_to_another_browser(stack, browser: Browser, page: Page):
    login = register_user(stack)
    page.goto(stack.url("/users/login"))
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(stack.url("/users/account"))
    page.get_by_label("Show the shop in").select_option("pt_BR")
    page.get_by_role("button", name="Save language").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sua conta")

    elsewhere = browser.new_context(locale="en-US")  # another device, in English
    other = elsewhere.new_page()
    other.goto(stack.url("/users/login"))
    expect(other.locator("html")).to_have_attribute("lang", "en")
    other.get_by_label("Login").fill(login)
    other.get_by_label("Password").fill(DEFAULT_PASSWORD)
    other.get_by_role("button", name="Log in").click()
    expect(other.locator("html")).to_have_attribute("lang", "pt-BR")
    expect(other.locator(".flashes")).to_contain_text(f"Você entrou como {login}.")
    elsewhere.close()


def test_a_portuguese_shopper_orders_and_cancels_in_portuguese(stack, browser: Browser, word):
    item = add_item(stack, f"Chaleira {word}", price="1234.50", quantity=5)
    context = browser.new_context(**PT_BR)
    page = context.new_page()
    log_in_pt(stack, page, register_user(stack))
    page.goto(stack.url(f"/inventory/items/{item['id']}"))
    page.get_by_label("Quantidade").fill("2")
    expect(page.locator("#order-total")).to_have_text(re.compile(r"^2 × US\$\s1\.234,50 = US\$\s2\.469,00$"))
    page.get_by_role("button", name="Fazer pedido").click()

    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    expect(page.locator(".flashes")).to_contain_text("feito: 2 × Chaleira")
    expect(page.locator("#order-status")).to_have_text("Pendente")
    expect(page.get_by_role("button", name=re.compile(r"^Pagar US\$\s2\.469,00$"))).to_be_visible()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Cancelar pedido").click()
    expect(page.locator("#order-status")).to_have_text("Cancelado")
    expect(page.locator("#order-detail [role=status]")).to_contain_text("foi cancelado; o estoque voltou para a loja")
    assert dialogs and dialogs[0].startswith("Cancelar o pedido nº")
    history = page.locator(".order-history")
    expect(history).to_contain_text("Estoque devolvido")
    expect(history).to_contain_text(f"2 × Chaleira {word}; estoque reservado")
    expect(history).to_contain_text("Cancelado na página do pedido")
    expect(history).to_contain_text("2 de volta ao estoque")
    context.close()
