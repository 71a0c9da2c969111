import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import Account, BuyingRole
from accounts.services import contact_delete
from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.tests.paging_helpers import link

pytestmark = pytest.mark.django_db

URL = reverse("accounts:list")


def names(response):
    return [a.name for a in response.context["page"].object_list]


def make_accounts(owner, n, start=0):
    for i in range(start, start + n):
        account = AccountFactory(name=f"Account {i:03}", owner=owner)
        ContactFactory(account=account, buying_role=BuyingRole.DECIDER)
        ContactFactory(account=account, buying_role=BuyingRole.USER, is_coach=True)
        ContactFactory(account=account, buying_role=BuyingRole.EVALUATOR)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_runs_the_same_number_of_queries_for_2_or_25_rows(personas, login):
    client = login(personas.manager)
    make_accounts(personas.alice, 2)
    few = count_queries(client, URL)
    make_accounts(personas.bob, 23, start=2)
    many = count_queries(client, URL)
    assert many == few
    # A filtered, sorted list is no different but for its count (the unfiltered list's
    # is the number of the person's live account ids, read anyway).
    filtered = f"{URL}?industry=manufacturing&status=prospect&ordering=-updated"
    assert count_queries(client, filtered) == few + 1
    # A sort order alone leaves every row: no count either.
    assert count_queries(client, f"{URL}?ordering=-updated") == few


def test_the_unfiltered_count_is_the_live_accounts_without_a_count_query(personas, login):
    """The count shown over a person's list: their live visible accounts (those in the
    recycle bin and other teams' left out), read from their ids without a COUNT
    statement; with a filter, counted."""
    from accounts.services import account_delete

    make_accounts(personas.alice, 6)
    make_accounts(personas.charlie, 3, start=6)  # another team's (Account 006 …)
    binned = Account.objects.filter(owner=personas.alice).order_by("pk").last()
    account_delete(account=binned, by=personas.alice)
    live = Account.objects.filter(owner=personas.alice).count()
    client = login(personas.alice)

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    page = response.context["page"]
    assert (page.count, page.count_exact) == (live, True)
    assert len(names(response)) == live
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(")]

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"{URL}?q=Account 00")
    page = response.context["page"]
    # Alice's "Account 000" … "Account 004" (005 is binned; 006 … are Charlie's)
    assert page.count == len(names(response)) == 5
    assert [q for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(")]


@pytest.mark.parametrize("bound", ["counted up to the bound", "more than the bound"])
def test_more_accounts_than_listed_by_ids_are_counted_from_the_access_rows(
    personas, login, api, monkeypatch, bound
):
    """A manager who sees more live accounts than are read by their ids
    (`listed_account_ids`): the unfiltered list's count is their access rows', counted
    without the accounts (those in the recycle bin left out by the rows' live flag);
    past the pages' bound it says "more than", as a counted list would."""
    from accounts import selectors
    from accounts.services import account_delete

    make_accounts(personas.alice, 4)
    make_accounts(personas.charlie, 2, start=4)  # another team's
    account_delete(account=Account.objects.get(name="Account 003"), by=personas.alice)
    live = selectors.accounts_visible_to(personas.manager).count()
    assert live == 4  # Alice's three live ones and the personas' account
    monkeypatch.setattr(selectors, "LISTED_UP_TO", 1)
    if bound == "more than the bound":
        from keyaccounts import paging

        monkeypatch.setattr(paging, "COUNT_LIMIT", 2)
    client = login(personas.manager)

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    page = response.context["page"]
    if bound == "more than the bound":
        assert (page.count, page.count_exact) == (2, False)
    else:
        assert (page.count, page.count_exact) == (live, True)
    assert len(names(response)) == live
    counts = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(")]
    assert len(counts) == 1 and "accounts_accountaccess" in counts[0]
    assert '"accounts_account"' not in counts[0], "counted from the access rows alone"

    # The same count over the API, whose own bound is higher.
    answer = api(personas.manager).get("/api/v1/accounts/").json()
    assert (answer["count"], answer["count_exact"]) == (live, True)
    # A superuser's list is counted as before: every live account.
    answer = api(personas.admin).get("/api/v1/accounts/").json()
    assert answer["count"] == Account.objects.count()


def test_accounts_in_the_recycle_bin_add_no_query_and_no_row(personas, login):
    from accounts.models import Account
    from accounts.services import account_delete

    client = login(personas.manager)
    make_accounts(personas.alice, 5)
    before = count_queries(client, URL)
    for account in Account.objects.filter(owner=personas.alice).exclude(pk=personas.account.pk):
        ContactFactory(account=account)
        account_delete(account=account, by=personas.alice)

    assert count_queries(client, URL) == before
    page = client.get(URL).content.decode()
    assert escape(personas.account.name) in page
    binned = Account.all_objects.filter(deleted_at__isnull=False)
    assert binned.count() == 5
    assert not any(escape(a.name) in page for a in binned)


def test_list_query_count_has_a_hard_ceiling(personas, login, django_assert_max_num_queries):
    make_accounts(personas.alice, 25)
    client = login(personas.alice)
    with django_assert_max_num_queries(12):
        client.get(URL)


@pytest.fixture(params=["ids read first", "as a subquery"])
def search_path(request, monkeypatch):
    """Both ways `search_accounts` finds its matches: their ids read first (up to
    SEARCH_IDS_UP_TO), or a subquery of the page's query when there are more."""
    from accounts import filters

    if request.param == "as a subquery":
        monkeypatch.setattr(filters, "SEARCH_IDS_UP_TO", 0)
    return request.param


def test_search_finds_accounts_by_name_contact_or_external_id(personas, login, search_path):
    ContactFactory(account=personas.account, name="张伟")
    AccountFactory(name="Unrelated Co", owner=personas.alice, external_id="ERP-42")
    client = login(personas.alice)
    assert names(client.get(URL, {"q": "alice's"})) == ["Alice's Customer Co"]
    assert names(client.get(URL, {"q": "张伟"})) == ["Alice's Customer Co"]
    assert names(client.get(URL, {"q": "erp-42"})) == ["Unrelated Co"]
    assert names(client.get(URL, {"q": "nothing like it"})) == []


@pytest.mark.parametrize("who", ["alice", "admin"])
def test_one_or_two_characters_find_names_regions_and_contacts(personas, login, search_path, who):
    """Texts too short for a trigram (on PostgreSQL: found through the names'
    characters, accounts.search): every character must be there, in that order, as one
    piece; a binned contact finds nothing."""
    AccountFactory(name="华为技术", owner=personas.alice, region="华南")
    AccountFactory(name="为华贸易", owner=personas.alice, region="西北")  # 为 and 华, not 华为
    AccountFactory(name="安泰科技", owner=personas.alice, region="东北")
    person = ContactFactory(account=personas.account, name="王安泰")
    ContactFactory(account=personas.account, name="李强")
    client = login(getattr(personas, who))
    assert sorted(names(client.get(URL, {"q": "华为"}))) == ["华为技术"]
    assert sorted(names(client.get(URL, {"q": "华"}))) == ["为华贸易", "华为技术"]
    assert sorted(names(client.get(URL, {"q": "南"}))) == ["华为技术"]  # its region
    assert sorted(names(client.get(URL, {"q": "安泰"}))) == ["Alice's Customer Co", "安泰科技"]
    assert names(client.get(URL, {"q": "泰安"})) == []
    contact_delete(contact=person, by=personas.alice)
    assert sorted(names(client.get(URL, {"q": "安泰"}))) == ["安泰科技"]


def test_search_never_reaches_accounts_the_user_cannot_see(personas, login, search_path):
    ContactFactory(account=personas.charlies_account, name="Secret Person")
    ContactFactory(account=personas.account, name="Secret Keeper")
    both = AccountFactory(name="Secret Holdings", owner=personas.alice)
    ContactFactory(account=both, name="Secret Agent")  # found by name and by contact: once
    client = login(personas.alice)
    assert sorted(names(client.get(URL, {"q": "Secret"}))) == [
        "Alice's Customer Co",
        "Secret Holdings",
    ]
    assert names(client.get(URL, {"q": "Charlie"})) == []


def test_filters_by_industry_status_owner_and_region(personas, login):
    AccountFactory(
        name="Bank", owner=personas.carol, industry="finance", status="active", region="North"
    )
    client = login(personas.manager)
    assert names(client.get(URL, {"industry": "finance"})) == ["Bank"]
    assert names(client.get(URL, {"status": "active"})) == ["Bank"]
    assert names(client.get(URL, {"owner": personas.alice.pk})) == ["Alice's Customer Co"]
    assert names(client.get(URL, {"region": "North"})) == ["Bank"]


def test_owner_and_region_filters_offer_only_what_the_user_can_see(personas, login):
    AccountFactory(owner=personas.charlie, region="Far West")
    form = login(personas.alice).get(URL).context["filter"].form
    # The owner is picked by name among the people of her team (a text box, no list).
    owners = set(form.fields["owner"].queryset.values_list("username", flat=True))
    assert owners == {"alice", "bob", "carol", "manager"}
    assert "<option" not in str(form["owner"])
    assert [team.name for team in form.fields["team"].queryset] == ["East"]
    assert "Far West" not in [value for value, _label in form.fields["region"].choices]


def test_a_superuser_is_offered_every_live_accounts_region_once_sorted(personas, login):
    # Read a region at a time from the (region, id) index, not by reading every account.
    for region in ["North", "Far West", "North", "", "East", "Binned"]:
        AccountFactory(owner=personas.charlie, region=region)
    Account.objects.filter(region="Binned").update(deleted_at=timezone.now())
    form = login(personas.admin).get(URL).context["filter"].form
    offered = [value for value, _label in form.fields["region"].choices if value]
    assert {"North", "Far West", "East"} <= set(offered)
    assert "Binned" not in offered
    live = Account.objects.exclude(region="").values_list("region", flat=True)
    assert offered == sorted(set(live))


def test_gap_filter_lists_accounts_without_decider_or_coach(personas, login):
    covered = AccountFactory(name="Covered", owner=personas.alice)
    ContactFactory(account=covered, buying_role=BuyingRole.DECIDER, is_coach=True)
    client = login(personas.alice)
    assert names(client.get(URL, {"gap": "no_decider"})) == ["Alice's Customer Co"]
    assert names(client.get(URL, {"gap": "no_coach"})) == ["Alice's Customer Co"]


def test_a_contact_who_left_does_not_count_as_the_decider(personas, login):
    ContactFactory(account=personas.account, buying_role=BuyingRole.DECIDER, is_active=False)
    row = login(personas.alice).get(URL).context["page"].object_list[0]
    assert row.has_decider is False
    assert row.contact_count == 0


def test_odd_input_gets_a_page_not_an_error(personas, login):
    client = login(personas.alice)
    for params in [
        {"owner": "not-a-number"},
        {"industry": "spaceflight"},
        {"page": "999"},
        {"page": "-1"},
        {"ordering": "password"},
        {"q": "%' OR 1=1 --"},
    ]:
        response = client.get(URL, params)
        assert response.status_code == 200, params
    # A NUL is no text: 400 naming the parameter (keyaccounts/querystring.py).
    response = client.get(URL, {"q": "\x00"})
    assert response.status_code == 400
    assert "The parameter “q”" in response.content.decode()


def test_pages_list_25_accounts_and_keep_the_filters_in_the_links(personas, login):
    make_accounts(personas.alice, 30)
    client = login(personas.alice)
    response = client.get(URL, {"industry": "manufacturing"})
    assert len(response.context["page"].object_list) == 25
    next_url = link(response, "next")
    assert next_url.startswith(f"{URL}?industry=manufacturing&after=")
    second = client.get(next_url)
    assert len(second.context["page"].object_list) == 6
    assert link(second, "next") is None
