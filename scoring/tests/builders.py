"""Accounts worked out by hand on the default table, for the scoring tests."""

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import CreditRating, Level
from accounts.tests.factories import AccountFactory
from opportunities.models import Currency
from opportunities.tests.factories import OpportunityFactory, default_stages
from scoring.models import Assessment


def strong_soon_account(owner, name="Strong Soon Co"):
    """An account worked out by hand on the default table (scoring/defaults.py):

    factor             raw                    band  points  weight  weight × points
    size and budget    600 (10k CNY)          500     55      15        825
    funding, credit    AA = 6                   6     90      10        900
    relationship       rating 4                 4     75      15       1125
    need fit           rating 5                 5    100      15       1500
    competitive pos.   rating 3                 3     50      10        500
    win probability    80 %                    75     80      10        800
    order value        2,000,000 CNY      1000000     60      10        600
    time to close      30 days                  0    100       5        500
    growth potential   high = 3                 3    100      10       1000
                                                            ----      -----
                                                             100       7750  -> 77.5

    77.5 is strong (>= 70) and 30 days is soon (<= 90): grade A.
    """
    account = AccountFactory(
        name=name,
        owner=owner,
        annual_budget=Decimal(600),
        credit_rating=CreditRating.AA,
        growth_potential=Level.HIGH,
    )
    Assessment.objects.create(account=account, relationship=4, need_fit=5, competitive_position=3)
    OpportunityFactory(
        account=account,
        owner=owner,
        stage=default_stages()["negotiation"],
        probability=80,
        amount=Decimal(2_000_000),
        currency=Currency.CNY,
        expected_close_date=timezone.localdate() + datetime.timedelta(days=30),
    )
    return account
