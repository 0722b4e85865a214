"""Money is integer cents; this turns it into text for people."""

SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "brl": "R$ "}


def format_money(cents: int | None, currency: str = "usd") -> str:
    """1234 in usd -> "$12.34"; an unknown currency shows its code: "12.34 CHF"."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    amount = f"{whole:,}.{part:02d}"
    symbol = SYMBOLS.get(currency.lower())
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency.upper()}"
