"""Money risk on the pages: the account page's "Money" section, the closing gate.

Registered from `ScoringConfig.ready()` (`register`), so neither the account page nor
the deals import scoring.
"""

from django.utils import timezone

from keyaccounts import sections

from .money import money_for_accounts, money_gate, money_gate_for_accounts


def account_money_section(request, *, account, today=None, **page_data) -> dict:
    """The account page's "Money" section: terms, limit, receivables by age, flags.
    One query (the account's months)."""
    today = today or timezone.localdate()
    money = money_for_accounts([account], today=today)[account.pk]
    return {"account": account, "money": money, "rows": money.buckets.rows()}


def register() -> None:
    from opportunities.gates import register_closing_gate

    register_closing_gate(money_gate, for_accounts=money_gate_for_accounts)
    sections.register(
        "account",
        template="scoring/includes/money_section.html",
        context=account_money_section,
        order=60,
    )
