"""The largest amount a record keeps: 9,999,999,999,999.99 (almost ten trillion).

The columns of the larger amounts (`max_digits=16`) would take one more digit, but a
number of 16 significant digits is not kept exactly by SQLite, the embedded default
(a float there: 99,999,999,999,999.99 read back is 1E+14, which no longer fits its
column, and every page reading it failed; 12,345,678,901,234.56 came back …234.60).
Fifteen digits are kept exactly everywhere, and no customer's amount comes near."""

from decimal import Decimal, InvalidOperation

from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import numberformat
from django.utils.translation import gettext_lazy as _

AMOUNT_MAX = Decimal("9999999999999.99")

# Shared instances: a model's migration names them by their values.
amount_at_most = MaxValueValidator(
    AMOUNT_MAX, message=_("Enter at most 9,999,999,999,999.99: no amount is larger.")
)
amount_at_least = MinValueValidator(
    -AMOUNT_MAX, message=_("Enter at least -9,999,999,999,999.99: no amount is smaller.")
)


SYMBOLS = {"CNY": "¥", "USD": "US$", "EUR": "€"}


def money(amount, currency: str = "CNY") -> str:
    """An amount as "¥1,280,000": cents only when there are any, and grouped by
    thousands in every language (as `keyaccounts/formats/shown.py` groups numbers), with
    the currency's symbol. What the pages show (the `money` filter) and what a message
    says of an amount ("Only ¥150,000.45 is still open"); "" for what is no number."""
    try:
        amount = Decimal(amount)
    except (TypeError, ValueError, InvalidOperation):
        return ""
    if not amount.is_finite():
        return ""
    places = 0 if amount == amount.to_integral_value() else 2
    number = numberformat.format(
        amount, ".", decimal_pos=places, grouping=3, thousand_sep=",", force_grouping=True
    )
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{number} {currency}"
