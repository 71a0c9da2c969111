"""The largest amount a record keeps (keyaccounts/amounts.py): 9,999,999,999,999.99. One
digit more was accepted, and on SQLite (the embedded default) read back as 1E+14, which
no longer fits its column: every page and export reading it failed, the edit page too."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account
from scoring.receivables.models import Receivable

pytestmark = pytest.mark.django_db

TOO_LARGE = "99999999999999.99"  # what the column's max_digits would take
LARGEST = "9999999999999.99"


def account_form(account, **fields):
    return {
        "name": account.name,
        "industry": account.industry,
        "status": account.status,
        "credit_rating": "AA",
        "version": account.version,
        **fields,
    }


def test_an_amount_too_large_to_keep_is_refused_on_its_field_and_the_largest_kept(personas, login):
    client = login(personas.alice)
    edit = reverse("accounts:edit", args=[personas.account.pk])
    refused = client.post(edit, account_form(personas.account, credit_limit=TOO_LARGE))
    assert refused.status_code == 200
    assert "Enter at most 9,999,999,999,999.99" in refused.context["form"].errors["credit_limit"][0]
    saved = client.post(edit, account_form(personas.account, credit_limit=LARGEST))
    assert saved.status_code == 302, saved.context["form"].errors
    assert Account.objects.get(pk=personas.account.pk).credit_limit == Decimal(LARGEST)
    # Read back exactly, and every page that reads it still answers.
    for url in (reverse("accounts:list"), personas.account.get_absolute_url(), edit):
        assert client.get(url).status_code == 200, url
    export = client.get(reverse("exports:export", args=["accounts"]), {"format": "xlsx"})
    assert export.status_code == 200


def test_the_api_refuses_an_invoice_too_large_to_keep(personas, api):
    response = api(personas.alice).post(
        "/api/v1/receivables/",
        {
            "account": personas.account.pk,
            "invoice_number": "FP-1",
            "issued_on": "2026-10-01",
            "amount": TOO_LARGE,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "amount" in response.json()["errors"]
    assert not Receivable.objects.exists()
