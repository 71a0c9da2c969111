"""Which tables a bulk job keeps analysed as it loads (`models_grown`, handed to
`keyaccounts.bulk.analyze_grown` before each chunk): a job of records under accounts
checks each chunk through the visibility rule, so the accounts and the access table
are kept up too, not only the tables it grows."""

import pytest

from accounts.models import Account, AccountAccess, Contact
from keyaccounts.integrations.jobs.writing import models_grown
from opportunities.models import Opportunity
from visits.models import Visit


@pytest.mark.parametrize("record_type, model", [
    ("contacts", Contact), ("visits", Visit), ("opportunities", Opportunity),
])  # fmt: skip
def test_a_job_under_accounts_keeps_the_accounts_and_their_access_analysed(record_type, model):
    grown = models_grown(record_type)
    assert grown[:2] == [model, model.history.model]
    assert Account in grown and AccountAccess in grown


def test_a_job_of_accounts_names_each_table_once():
    grown = models_grown("accounts")
    assert grown == [Account, Account.history.model, AccountAccess]
