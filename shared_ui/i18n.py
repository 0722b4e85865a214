"""Two languages for every app: English and Brazilian Portuguese, with Flask-Babel.

A page's locale is, in this order: the visitor's choice kept in the shared session (`lang`: the
switch in the layout posts to users_app's `/users/language`, and users_app copies the account's
locale there at login, so every app sees it), then the logged-in user's stored locale where the app
can read it (users_app registers `shop_user_locale`), then the browser's `Accept-Language`, then
English. The JSON API never reads the cookie: its error messages follow `Accept-Language` alone.

One catalog serves the whole project: `translations/` at the project root (`babel.cfg` says what is
extracted; `make translations` extracts, updates and compiles; `make assets` compiles).
"""

import functools
from collections.abc import Callable, Iterator

from flask import current_app, has_app_context, has_request_context, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from jinja2.ext import Extension
from jinja2.lexer import (
    TOKEN_DOT,
    TOKEN_LBRACKET,
    TOKEN_LPAREN,
    TOKEN_NAME,
    TOKEN_RBRACKET,
    TOKEN_RPAREN,
    TOKEN_STRING,
    Token,
    TokenStream,
)
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from shared_ui.extensions import babel
from shared_ui.requests_kind import current_g, header, is_api_request

#: the languages the shop speaks: locale code -> its name in that language
LANGUAGES = {"en": "English", "pt_BR": "Português (Brasil)"}
DEFAULT_LOCALE = "en"
#: the shop's language for a browser's language of any region ("pt", "pt-BR", "pt-PT": Brazilian Portuguese)
BY_PRIMARY_TAG = {"en": "en", "pt": "pt_BR"}
#: the session key every app reads (DESIGN: one of the shared session's keys)
SESSION_KEY = "lang"

UserLocale = Callable[[int], str | None]


def init_i18n(app) -> None:
    """Attach Flask-Babel with the shop's locale selection, and the template helpers."""
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # `_`, `gettext` and `ngettext` in templates, one call each instead of Jinja's three layers (below)
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)
    app.jinja_env.globals[TEXTS] = _Texts()
    app.context_processor(_texts_in_context)
    app.jinja_env.add_extension(PlainTexts)
    app.jinja_env.globals.update(
        current_locale=current_locale, html_lang=html_lang, other_languages=other_languages, LANGUAGES=LANGUAGES
    )


def _babel_space():
    """Flask-Babel's per-request namespace (where it keeps the locale and the catalog), or None."""
    return getattr(current_g(), "_flask_babel", None) if has_app_context() else None


def _translations():
    """This request's catalog, found once per request.

    Flask-Babel's own template callables look the locale and the catalog up again for every string
    (a sixth of a catalog page's time). The catalog is kept where Flask-Babel keeps it
    (`babel_translations` in its per-request namespace), which its `refresh()` and `force_locale()`
    clear, so a change of language within a request is still seen.
    """
    translations = getattr(_babel_space(), "babel_translations", None)
    if translations is None:
        translations = get_translations()
        space = _babel_space()
        if space is not None:
            space.babel_translations = translations
    return translations


@pass_context
def _template_gettext(context, string: str, **variables):
    """Jinja's newstyle `gettext` (and `_`), the same text in one call.

    Jinja's `_` calls `gettext` through Context.call, which calls the catalog's function through it
    again: ~9 µs a string, and a catalog page has some fifty. As Jinja's: the translation is Markup
    under autoescape and always a format string (so variables are escaped and "%%" is "%"); a text
    with no variables and no "%" is left as it is, which is what formatting it would give.
    """
    # (`_("a text")` written in an autoescaped template does not come here: PlainTexts reads it.)
    text = _translations().ugettext(string)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 (the project's own catalog, taken as markup as Jinja's gettext does)
    return text % variables if variables or "%" in text else text


#: the name PlainTexts reads the texts from: each render's context (`_texts_in_context`), else the global
TEXTS = "_shop_texts"


class _CatalogTexts(dict):
    """One catalog's texts as `_shop_texts["a text"]` reads them: the same Markup `_("a text")`
    gives (a format string with nothing to fill in: "%%" is "%"), made on first use and kept."""

    __slots__ = ("translations",)

    def __init__(self, translations):
        super().__init__()
        self.translations = translations

    def __missing__(self, string: str) -> Markup:
        try:
            text = Markup(self.translations.ugettext(string))  # noqa: S704 (as in _template_gettext)
            text = text % {} if "%" in text else text
        except Exception as error:
            # Jinja reads a failed item as undefined (an empty string): fail as the call `_()` did.
            raise RuntimeError(f"cannot show the text {string!r}: {error!r}") from error
        self[string] = text
        return text


def _catalog_texts(translations) -> _CatalogTexts:
    """The catalog's texts, kept on Flask-Babel's catalog object itself (~25 on a page): a catalog
    reloaded (a new object) starts afresh, and one no longer used goes with its texts."""
    texts = getattr(translations, "shop_plain_texts", None)
    if texts is None:
        texts = translations.shop_plain_texts = _CatalogTexts(translations)
    return texts


def _texts_in_context() -> dict:
    """Context processor: every page rendered gets its catalog's texts as `_shop_texts`, found once
    per render; each text is then a dict lookup (the global `_Texts` finds the catalog per text)."""
    return {TEXTS: _catalog_texts(_translations())}


class _Texts:
    """The global `_shop_texts`, for what is rendered without a context processor's help (a macro
    imported without context, a template rendered straight from the environment)."""

    __slots__ = ()

    def __getitem__(self, string: str) -> Markup:
        return _catalog_texts(_translations())[string]


#: `_("a text")`, token by token
_PLAIN_TEXT_CALL = ((TOKEN_NAME, "_"), (TOKEN_LPAREN, None), (TOKEN_STRING, None), (TOKEN_RPAREN, None))


class PlainTexts(Extension):
    """In an autoescaped template, `_("a text")` (one string, nothing to fill in) is read as
    `_shop_texts["a text"]`: an item lookup instead of a call through Jinja's Context.call, 2.4 ->
    ~1 µs a text, and a page has 20-30 of them (bench/NOTES.md, ninth round). The same Markup
    comes out. `pybabel extract` reads the source, where the call is still written, and templates
    rendered without autoescape (the mails' text parts) keep the call. It runs once per template,
    when it is compiled.
    """

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        autoescape = self.environment.autoescape
        if callable(autoescape):
            autoescape = autoescape(stream.name)
        tokens = list(stream)
        at = 0
        while at < len(tokens):
            if autoescape and _plain_text_call_at(tokens, at):
                name, string = tokens[at], tokens[at + 2]
                yield Token(name.lineno, TOKEN_NAME, TEXTS)
                yield Token(name.lineno, TOKEN_LBRACKET, "[")
                yield string
                yield Token(name.lineno, TOKEN_RBRACKET, "]")
                at += len(_PLAIN_TEXT_CALL)
            else:
                yield tokens[at]
                at += 1


def _plain_text_call_at(tokens: list[Token], at: int) -> bool:
    """`_("a text")` starts at tokens[at] (and is not a method: `x._(...)`)."""
    if at > 0 and tokens[at - 1].type == TOKEN_DOT:
        return False
    found = tokens[at : at + len(_PLAIN_TEXT_CALL)]
    return len(found) == len(_PLAIN_TEXT_CALL) and all(
        token.type == kind and (value is None or token.value == value)
        for token, (kind, value) in zip(found, _PLAIN_TEXT_CALL, strict=True)
    )


@pass_context
def _template_ngettext(context, singular: str, plural: str, num: int, **variables):
    """Jinja's newstyle `ngettext` in one call (`num` among the variables, as there)."""
    variables.setdefault("num", num)
    text = _translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 (as above)
    return text % variables


def gettext(string: str, **variables) -> str:
    """flask_babel.gettext with the request's catalog found once: for text repeated on every row."""
    text = _translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """flask_babel.ngettext (with `num` among the variables) with the request's catalog found once."""
    variables.setdefault("num", num)
    return _translations().ungettext(singular, plural, num) % variables


def select_locale() -> str | None:
    """The locale of this request (None outside a request: the default, English)."""
    if not has_request_context():
        return None
    if not is_api_request():
        chosen = session.get(SESSION_KEY)
        if chosen in LANGUAGES:
            return chosen
        stored = _stored_user_locale()
        if stored in LANGUAGES:
            return stored
    return _best_language(header("Accept-Language"))


@functools.lru_cache(maxsize=256)
def _best_language(accept_language: str) -> str:
    """The shop's language a browser's Accept-Language asks for first: parsing and matching cost
    ~10 µs a request, and a shop's visitors send a handful of different headers."""
    # By primary subtag, in the browser's order: werkzeug's best_match takes an exact match of any
    # quality first, so "pt,en;q=0.5" (or a browser in Portugal, "pt-PT,pt;q=0.9,en;q=0.8") read English.
    for value, quality in parse_accept_header(accept_language, LanguageAccept):  # best first, "*" last
        language = BY_PRIMARY_TAG.get(value.replace("_", "-").split("-", 1)[0].lower())
        if language is not None and quality > 0:
            return language
    return DEFAULT_LOCALE


def _stored_user_locale() -> str | None:
    find_locale: UserLocale | None = current_app.extensions.get("shop_user_locale")
    if find_locale is None or not current_user.is_authenticated:
        return None
    return find_locale(current_user.id)


def current_locale() -> str:
    """"en" or "pt_BR": the locale Flask-Babel chose (English outside a request)."""
    space = _babel_space()
    locale = getattr(space, "babel_locale", None)  # chosen already: every price asks
    if locale is None:
        try:
            locale = get_locale()
        except (RuntimeError, KeyError):  # outside the shop's apps (a script, a test helper)
            locale = None
        return str(locale) if locale is not None else DEFAULT_LOCALE
    # Its name, kept beside the very Locale object it is the name of (str() rebuilds it each time);
    # force_locale() and refresh() put another object there, whose name is made anew.
    named = getattr(space, "shop_locale_name", None)
    if named is None or named[0] is not locale:
        named = space.shop_locale_name = (locale, str(locale))
    return named[1]


def html_lang() -> str:
    """The BCP 47 tag for `<html lang>`: "en", "pt-BR"."""
    return current_locale().replace("_", "-")


def other_languages() -> list[tuple[str, str]]:
    """(code, name) of every language but the current one: what the switch offers."""
    here = current_locale()
    return [(code, name) for code, name in LANGUAGES.items() if code != here]
