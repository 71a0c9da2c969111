"""A deal's discount against its account's grade ceiling (分级优惠, service policy)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import policy_set
from opportunities.discount import discount_check
from opportunities.models import Opportunity
from opportunities.tests.factories import OpportunityFactory, default_stages
from scoring.services import grade_pin

pytestmark = pytest.mark.django_db


@pytest.fixture
def stages(db):
    return default_stages()


def grade(account, value, by):
    grade_pin(
        account=account,
        by=by,
        grade=value,
        reason="set by the test",
        expires_on=timezone.localdate() + timezone.timedelta(days=30),
    )


@pytest.fixture
def deal(personas, stages):
    grade(personas.account, "B", personas.manager)
    return OpportunityFactory(account=personas.account, discount_percent=Decimal("18"))


def test_the_check_reads_the_grade_ceiling_of_the_policy_in_force(personas, deal):
    policy_set(ceilings={"B": 10})  # version 2
    check = discount_check(Opportunity.objects.select_related("account__score").get(pk=deal.pk))
    assert (check.discount, check.ceiling, check.grade, check.version) == (
        Decimal("18"),
        Decimal("10"),
        "B",
        2,
    )
    assert check.over
    assert check.message == (
        "Discount 18 % is above the ceiling of 10 % for grade B accounts (service policy v2)."
    )
    policy_set(ceilings={"B": None})
    assert not discount_check(deal).over


def test_an_ungraded_account_has_the_d_ceiling(personas, stages):
    deal = OpportunityFactory(account=personas.account, discount_percent=Decimal("0.5"))
    check = discount_check(deal)
    assert check.grade is None and check.ceiling == Decimal("0") and check.over
    assert "not graded yet, served as grade D" in check.message


def test_the_deal_page_warns_in_words(personas, deal, login):
    client = login(personas.alice)
    page = client.get(deal.get_absolute_url()).content.decode()
    assert 'data-flag="discount_over_ceiling"' in page
    assert "Warning:" in page
    assert "Discount 18 % is above the ceiling of 10 % for grade B accounts" in page
    Opportunity.objects.filter(pk=deal.pk).update(discount_percent=Decimal("5"))
    page = client.get(deal.get_absolute_url()).content.decode()
    assert 'data-flag="discount_over_ceiling"' not in page
    assert "Within the ceiling of 10 % for its grade" in page


def test_the_deal_form_saves_and_warns_after_saving(personas, deal, login):
    from django.contrib.messages import get_messages

    client = login(personas.alice)
    form = client.get(f"{deal.get_absolute_url()}edit/")
    assert 'name="discount_percent"' in form.content.decode()
    data = {
        "name": deal.name,
        "kind": deal.kind,
        "amount": "500000",
        "currency": "CNY",
        "discount_percent": "12.5",
        "expected_close_date": deal.expected_close_date.isoformat(),
        "version": deal.version,
    }
    response = client.post(f"{deal.get_absolute_url()}edit/", data)
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.discount_percent == Decimal("12.5")
    told = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Discount 12.5 % is above the ceiling of 10 %" in m for m in told), told
    bad = client.post(f"{deal.get_absolute_url()}edit/", {**data, "discount_percent": "120"})
    assert bad.status_code == 200 and "100" in bad.content.decode()


def test_the_api_carries_the_discount_its_ceiling_and_whether_it_is_over(personas, deal, api):
    client = api(personas.alice)
    body = client.get(f"/api/v1/opportunities/{deal.pk}/").json()
    assert body["discount_percent"] == "18.00"
    assert body["discount_ceiling"] == "10.00"
    assert body["discount_over_ceiling"] is True
    changed = client.patch(
        f"/api/v1/opportunities/{deal.pk}/",
        {"discount_percent": "9"},
        format="json",
        HTTP_IF_MATCH=f'"{body["version"]}"',
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["discount_over_ceiling"] is False
    refused = client.patch(
        f"/api/v1/opportunities/{deal.pk}/", {"discount_percent": "101"}, format="json"
    )
    assert refused.status_code == 400 and "discount_percent" in refused.json()["errors"]


def test_the_discount_is_exported_and_imported(personas, deal, login):
    from keyaccounts.tests.imports_files import csv_file, import_file

    client = login(personas.alice)
    exported = client.get("/export/deals/?format=csv")
    assert exported.status_code == 200
    text = b"".join(exported.streaming_content if exported.streaming else [exported.content])
    header, *rows = text.decode("utf-8-sig").splitlines()
    assert "Discount (%)" in header
    assert any("18" in row for row in rows)
    rows = [["客户名称", "商机", "折扣", "Amount", "Close date"]]
    rows.append([personas.account.name, deal.name, "7.5", "500000", "2030-01-31"])
    import_file("opportunities", csv_file(rows), personas.alice)
    deal.refresh_from_db()
    assert deal.discount_percent == Decimal("7.5")
