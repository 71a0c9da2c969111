from decimal import Decimal, InvalidOperation

from django import template
from django.utils import numberformat

register = template.Library()

SYMBOLS = {"CNY": "¥", "USD": "US$", "EUR": "€"}


@register.filter
def money(amount, currency: str = "CNY") -> str:
    """An amount as "¥1,280,000": cents only when there are any, and grouped by
    thousands in every language (Django's Chinese format has no separator at all)."""
    try:
        amount = Decimal(amount)
    except (TypeError, ValueError, InvalidOperation):
        return ""
    places = 0 if amount == amount.to_integral_value() else 2
    number = numberformat.format(
        amount, ".", decimal_pos=places, grouping=3, thousand_sep=",", force_grouping=True
    )
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{number} {currency}"
