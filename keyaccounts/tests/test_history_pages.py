"""History pages: each record's timeline, readable, paged, and only for who may see it."""

import datetime
import re
import zoneinfo

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Account, AccountTeamRole
from accounts.tests.factories import CompetitorFactory, ContactFactory
from keyaccounts.history.context import history_context
from keyaccounts.pytest_plugin import assert_not_found_for
from keyaccounts.tests.paging_helpers import link
from opportunities.tests.factories import OpportunityFactory
from visits.tests.factories import DevelopmentRecordFactory, VisitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(personas):
    """One record of each type at alice's account."""
    account = personas.account
    return {
        "account": account,
        "contact": ContactFactory(account=account, name="Wang Jun", title=""),
        "visit": VisitFactory(account=account, owner=personas.alice),
        "deal": OpportunityFactory(account=account, owner=personas.alice, name="MES rollout"),
        "record": DevelopmentRecordFactory(
            account=account,
            started_on=datetime.date(2026, 1, 5),
            prepared_on=datetime.date(2026, 1, 5),
        ),
    }


def history_urls(records) -> dict[str, str]:
    account = records["account"]
    return {
        "account": reverse("accounts:history", args=[account.pk]),
        "contact": reverse("accounts:contact_history", args=[account.pk, records["contact"].pk]),
        "visit": reverse("visits:history", args=[records["visit"].pk]),
        "deal": reverse("opportunities:history", args=[records["deal"].pk]),
        "record": reverse("visits:record_history", args=[records["record"].pk]),
    }


def entries_on(html: str) -> int:
    return html.count('class="history-entry"')


def squashed(response) -> str:
    """The page without the white space between its tags."""
    return re.sub(r">\s+<", "><", response.content.decode())


def test_the_account_history_shows_who_from_where_and_old_to_new(personas, login):
    account = personas.account
    with history_context(origin="api", user=personas.manager):
        account_services.account_update(account=account, by=personas.manager, status="active")
        account_services.team_member_set(
            account=account,
            by=personas.manager,
            user=personas.carol,
            role=AccountTeamRole.SALES_REP,
        )

    response = login(personas.alice).get(reverse("accounts:history", args=[account.pk]))

    html = squashed(response)
    assert response.status_code == 200
    assert "History of Alice&#x27;s Customer Co" in html
    assert "Mona Manager" in html and "via API" in html
    assert '<dt>Status</dt><dd><span class="old">Prospect</span>' in html
    assert '<span class="new">Active customer</span>' in html
    assert "Account team member: Carol Chen" in html
    assert '<span class="new">Sales rep</span>' in html
    # The newest first: the team change, the status, bob's membership, the account.
    assert entries_on(html) == 4
    assert html.index("Carol Chen") < html.index("Active customer")


def test_each_records_page_links_to_its_history_and_the_history_names_it(personas, login, records):
    client = login(personas.alice)
    account, contact = records["account"], records["contact"]
    pages = {
        "account": account.get_absolute_url(),
        "contact": contact.get_absolute_url(),
        "visit": records["visit"].get_absolute_url(),
        "deal": records["deal"].get_absolute_url(),
        "record": records["record"].get_absolute_url(),
    }
    for kind, history_url in history_urls(records).items():
        record_page = client.get(pages[kind]).content.decode()
        assert f'href="{history_url}"' in record_page, kind
        history = client.get(history_url)
        assert history.status_code == 200, kind
        html = history.content.decode()
        assert f"History of {records[kind]}".replace("'", "&#x27;") in html, kind
        assert f'href="{pages[kind]}"' in html, kind  # back to the record
        assert entries_on(html) >= 1, kind
        assert ">Created</span>" in html, kind


def test_a_visits_breadcrumb_names_its_account_once_and_its_day_in_the_companys_time(
    personas, login
):
    """07:30 in Shanghai is the day before in UTC: the visit is of 1 May."""
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    visit = VisitFactory(
        account=personas.account,
        owner=personas.alice,
        occurred_at=datetime.datetime(2026, 5, 1, 7, 30, tzinfo=shanghai),
    )
    url = reverse("visits:history", args=[visit.pk])
    html = login(personas.alice).get(url).content.decode()
    crumbs = html[html.index('<nav class="crumbs"') : html.index("</nav>", html.index("crumbs"))]
    assert f'<a href="{visit.get_absolute_url()}">2026-05-01</a>' in crumbs
    assert crumbs.count("Alice&#x27;s Customer Co") == 1
    assert "History of Alice&#x27;s Customer Co · 2026-05-01" in html


def test_another_teams_rep_gets_404_for_every_history_page(personas, login, records):
    pages = [("get", url, None) for url in history_urls(records).values()]
    assert_not_found_for(login(personas.charlie), pages, hidden_words=("Alice", "Wang Jun"))


def test_a_contact_is_not_found_under_another_account(personas, login, records):
    url = reverse(
        "accounts:contact_history", args=[personas.charlies_account.pk, records["contact"].pk]
    )
    assert login(personas.admin).get(url).status_code == 404


def test_the_history_of_an_account_in_the_recycle_bin_stays_readable_to_who_sees_it(
    personas, login
):
    account = personas.account
    with history_context(origin="web", user=personas.alice):
        account_services.account_delete(account=account, by=personas.alice)
    url = reverse("accounts:history", args=[account.pk])

    response = login(personas.alice).get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert "In the recycle bin" in html
    assert ">Moved to the recycle bin</span>" in html
    assert f'href="{account.get_absolute_url()}"' not in html  # its page answers 404 now
    assert not Account.objects.filter(pk=account.pk).exists()
    assert_not_found_for(login(personas.charlie), [("get", url, None)])


def test_fifty_entries_a_page(personas, login):
    account = personas.account
    for n in range(51):
        CompetitorFactory(account=account, name=f"Rival {n:02}")
    # 51 competitors added, bob added to the team, the account created: 53 entries.
    url = reverse("accounts:history", args=[account.pk])
    client = login(personas.alice)

    first_page = client.get(url)
    first = first_page.content.decode()
    second = client.get(link(first_page, "next")).content.decode()

    assert (entries_on(first), entries_on(second)) == (50, 3)
    assert "Rival 50" in first and "Rival 00" not in first
    assert "Rival 00" in second and 'rel="prev"' in second


def test_the_page_speaks_chinese_with_labels_and_choices_translated(personas, login):
    contact = ContactFactory(account=personas.account, attitude="neutral")
    with history_context(origin="web", user=personas.alice):
        account_services.contact_update(contact=contact, by=personas.alice, attitude="champion")
    url = reverse("accounts:contact_history", args=[personas.account.pk, contact.pk])

    html = squashed(login(personas.alice).get(url, HTTP_ACCEPT_LANGUAGE="zh-hans"))

    # As keyaccounts/locale/zh_Hans has them.
    assert '<dt>对我方态度</dt><dd><span class="old">中立</span>' in html
    assert '<span class="new">坚定支持</span>' in html
