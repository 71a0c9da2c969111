"""The board's search (`opportunities.filters.search_deals`): a deal by its name, its
account's name or its external ID (any case), one or two characters included, among the
deals the person sees; a superuser's read as ids first (or, past the bound, as one
`OR`), anyone else's as one `OR` through their accounts — the same deals every way."""

import pytest
from django.urls import reverse

from accounts.tests.factories import AccountFactory
from opportunities import filters
from opportunities.tests.factories import OpportunityFactory, default_stages

pytestmark = pytest.mark.django_db

BOARD = reverse("opportunities:board")


@pytest.fixture
def deals(personas):
    default_stages()
    antai = AccountFactory(name="安泰科技", owner=personas.alice)
    make = OpportunityFactory
    make(account=personas.account, name="华为扩容")
    make(account=personas.account, name="为华项目")  # 为 and 华, not 华为
    make(account=personas.account, name="Core ERP", external_id="CRM-7")
    make(account=antai, name="二期")
    make(account=personas.charlies_account, name="华为西区")  # Charlie's: not Alice's


@pytest.fixture(params=["ids read first", "one OR"])
def bound(request, monkeypatch):
    if request.param == "one OR":
        monkeypatch.setattr(filters, "SEARCH_IDS_UP_TO", 0)
    return request.param


def shown(client, text: str) -> list[str]:
    response = client.get(BOARD, {"q": text})
    assert response.status_code == 200
    context = response.context
    columns = [*context["open_columns"], *context["closed_columns"]]
    return sorted(deal.name for column in columns for deal in column.cards)


@pytest.mark.parametrize("who", ["alice", "admin"])
def test_the_search_finds_deals_by_name_account_or_external_id(personas, login, deals, bound, who):
    client = login(getattr(personas, who))
    everyone = who == "admin"
    assert shown(client, "华为") == (["华为扩容", "华为西区"] if everyone else ["华为扩容"])
    assert shown(client, "华") == sorted(
        ["为华项目", "华为扩容", *(["华为西区"] if everyone else [])]
    )
    assert shown(client, "安泰") == ["二期"]  # its account's name
    assert shown(client, "crm-7") == ["Core ERP"]  # its external ID, any case
    assert shown(client, "erp") == ["Core ERP"]
    assert shown(client, "泰安") == []
