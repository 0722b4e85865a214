"""`_("a text")` in an autoescaped template is read from the request's catalog without a call
(shared_ui.i18n.PlainTexts): the same text comes out, in the request's language, as before."""

import pytest
from flask import render_template_string
from jinja2 import DictLoader

from tests.i18n.conftest import PT

TEMPLATES = {
    "page.html": "{{ _('Catalog') }}|{{ _('Catalog') ~ '<b>' }}|{{ _('100%% sure') }}|{{ _('Only %(n)s', n='<i>') }}",
    "mail.txt": "{{ _('Catalog') }}|{{ _('Catalog') ~ '<b>' }}|{{ _('100%% sure') }}",
    "attribute.html": "{{ shelf._('Catalog') }}",
    "broken.html": "<p>{{ _('Only %(n)s left') }}</p>",  # a variable forgotten
}


class Shelf:
    def _(self, text):
        return f"shelf's {text}"


def render(app, name, headers=None, **context):
    env = app.jinja_env.overlay(loader=DictLoader(TEMPLATES))
    with app.test_request_context("/inventory/", headers=headers or {}):
        return env.get_template(name).render(**context), env


def test_a_plain_text_reads_the_requests_language_and_escapes_as_before(inventory_app):
    english, env = render(inventory_app, "page.html")
    assert english == "Catalog|Catalog&lt;b&gt;|100% sure|Only &lt;i&gt;"
    portuguese, _ = render(inventory_app, "page.html", PT)
    assert portuguese.startswith("Catálogo|Catálogo&lt;b&gt;|100% sure|")
    source = env.compile(TEMPLATES["page.html"], name="page.html", raw=True)
    assert source.count("_shop_texts") >= 3  # the three plain texts, not the one with a variable


def test_text_templates_and_other_objects_methods_keep_the_call(inventory_app):
    mail, env = render(inventory_app, "mail.txt", PT)
    assert mail == "Catálogo|Catálogo<b>|100% sure"  # no autoescape: nothing escaped
    assert "_shop_texts" not in env.compile(TEMPLATES["mail.txt"], name="mail.txt", raw=True)
    shelf, _ = render(inventory_app, "attribute.html", shelf=Shelf())
    assert shelf == "shelf&#39;s Catalog"


def test_a_text_that_cannot_be_shown_fails_the_page_as_the_call_did(inventory_app):
    # Jinja reads a failed item lookup as undefined: without care the text would just vanish.
    with pytest.raises(RuntimeError, match="Only"):
        render(inventory_app, "broken.html")


def test_a_page_rendered_by_flask_reads_its_texts_from_its_own_context(inventory_app):
    # render_template gives every render its catalog's texts (a context processor); templates
    # rendered without Flask's help (the tests above) read the same texts from the global.
    source = (
        "{% macro title() %}{{ _('Catalog') }}{% endmacro %}"
        "{{ _('Catalog') }}|{{ title() }}|{{ _('100%% sure') }}|{{ _shop_texts.__class__.__name__ }}"
    )
    with inventory_app.test_request_context("/inventory/", headers=PT):
        assert render_template_string(source) == "Catálogo|Catálogo|100% sure|_CatalogTexts"
        with pytest.raises(RuntimeError, match="Only"):
            render_template_string("<p>{{ _('Only %(n)s left') }}</p>")
    with inventory_app.test_request_context("/inventory/"):
        assert render_template_string(source).startswith("Catalog|Catalog|100% sure|")
