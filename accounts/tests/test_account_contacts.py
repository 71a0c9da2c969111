"""An account kept for years has hundreds of contacts: its page draws a bounded buying
center (the six who matter most a role, "N more" to the rest) and the first 50 contacts
by name; the account's contacts page lists them all, a page at a time, with the
contacts' export filters. The warnings still count everyone."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.buying_center import CHIPS_PER_ROLE
from accounts.models import Attitude, BuyingRole, Level
from accounts.tests.factories import AccountFactory, ContactFactory
from accounts.views import CONTACTS_SHOWN

pytestmark = pytest.mark.django_db


def block(html: str, role: str) -> str:
    """The buying center's block of `role` (its chips and its link to the rest)."""
    start = html.index(f'data-role="{role}"')
    end = html.find('<div class="bcrole', start + 1)
    return html[start : end if end != -1 else html.index("</section>", start)]


def chip_names(html: str) -> list[str]:
    return re.findall(r'class="chipname">([^<]+)</a>', html)


def table_names(html: str) -> list[str]:
    tbody = html.split('aria-labelledby="contacts-title"', 1)[-1].split("<tbody>", 1)[1]
    return re.findall(r'/edit/">([^<]+)</a>', tbody.split("</tbody>", 1)[0])


def test_a_role_of_many_draws_those_who_matter_most_and_links_to_the_rest(personas, login):
    account = personas.account
    ContactFactory(
        account=account,
        name="D coach",
        buying_role=BuyingRole.DECIDER,
        is_coach=True,
        influence=Level.LOW,
    )
    for name in ("D high 1", "D high 2"):
        ContactFactory(
            account=account, name=name, buying_role=BuyingRole.DECIDER, influence=Level.HIGH
        )
    for i in range(6):
        ContactFactory(
            account=account,
            name=f"D medium {i}",
            buying_role=BuyingRole.DECIDER,
            influence=Level.MEDIUM,
        )
    ContactFactory(
        account=account, name="D low", buying_role=BuyingRole.DECIDER, influence=Level.LOW
    )
    # An opponent with a veto among those not drawn: the warning still names them.
    ContactFactory(
        account=account,
        name="D medium z",
        buying_role=BuyingRole.DECIDER,
        influence=Level.MEDIUM,
        attitude=Attitude.OPPONENT,
    )
    evaluators = [
        ContactFactory(account=account, name=f"E {i}", buying_role=BuyingRole.EVALUATOR)
        for i in range(3)
    ]
    html = login(personas.alice).get(account.get_absolute_url()).content.decode()

    deciders = block(html, "decider")
    drawn = chip_names(deciders)
    assert len(drawn) == CHIPS_PER_ROLE == 6
    assert drawn[:3] == ["D coach", "D high 1", "D high 2"]  # the coach, then influence
    assert "D low" not in drawn
    rest = reverse("accounts:contacts", args=[account.pk])
    assert f'href="{rest}?buying_role=decider&amp;is_active=true"' in deciders
    assert "5 more – Decider" in deciders  # 11 deciders, 6 drawn
    assert "D medium z is an opponent and holds a veto as decider." in html
    # A role of no more than six is drawn whole, in its order, with no link.
    evaluator_block = block(html, "evaluator")
    assert chip_names(evaluator_block) == [c.name for c in evaluators]
    assert "more –" not in evaluator_block


def test_the_contacts_table_shows_the_first_fifty_by_name_and_links_to_all(personas, login):
    account = personas.account
    for i in range(CONTACTS_SHOWN + 5):
        ContactFactory(account=account, name=f"Person {i:03d}")
    total = account.contacts.count()
    html = login(personas.alice).get(account.get_absolute_url()).content.decode()
    names = table_names(html)
    expected = sorted(account.contacts.values_list("name", flat=True))[:CONTACTS_SHOWN]
    assert names == expected
    all_url = reverse("accounts:contacts", args=[account.pk])
    assert f'<a href="{all_url}">All {total} contacts</a>' in html


def test_a_small_account_shows_every_contact_with_no_link(personas, login):
    account = personas.account
    ContactFactory(account=account, name="Only One")
    html = login(personas.alice).get(account.get_absolute_url()).content.decode()
    assert table_names(html) == sorted(account.contacts.values_list("name", flat=True))
    assert f'href="{reverse("accounts:contacts", args=[account.pk])}"' not in html
    assert "more –" not in html


def contacts_page(client, account, **params):
    response = client.get(reverse("accounts:contacts", args=[account.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def page_names(html: str) -> list[str]:
    tbody = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'/edit/">([^<]+)</a>', tbody)


def test_the_contacts_page_lists_every_contact_a_page_at_a_time(personas, login):
    account = personas.account
    for i in range(CONTACTS_SHOWN + 7):
        ContactFactory(account=account, name=f"Person {i:03d}")
    ContactFactory(account=AccountFactory(owner=personas.alice), name="Person elsewhere")
    client = login(personas.alice)
    everyone = sorted(account.contacts.values_list("name", flat=True))

    first = contacts_page(client, account)
    assert f"{len(everyone)} contacts" in first
    assert page_names(first) == everyone[:CONTACTS_SHOWN]
    next_url = re.search(r'<a href="([^"]+)" rel="next">', first).group(1)
    second = client.get(next_url.replace("&amp;", "&")).content.decode()
    assert page_names(second) == everyone[CONTACTS_SHOWN:]
    assert "Person elsewhere" not in first + second


def test_the_contacts_page_filters_as_the_export_does(personas, login):
    account = personas.account
    ContactFactory(account=account, name="Dee Cider", buying_role=BuyingRole.DECIDER)
    ContactFactory(
        account=account, name="Gone Decider", buying_role=BuyingRole.DECIDER, is_active=False
    )
    ContactFactory(account=account, name="Eve Aluator", buying_role=BuyingRole.EVALUATOR)
    client = login(personas.alice)
    html = contacts_page(client, account, buying_role="decider", is_active="true")
    assert page_names(html) == ["Dee Cider"]
    # Its export link carries the account and the same filters: the file holds the same.
    link = re.search(r'href="(/export/contacts/\?format=csv[^"]+)"', html).group(1)
    exported = client.get(link.replace("&amp;", "&"))
    text = b"".join(exported.streaming_content).decode("utf-8-sig")
    assert "Dee Cider" in text and "Gone Decider" not in text and "Eve Aluator" not in text
    assert "No contact of this account matches these filters." in contacts_page(
        client, account, buying_role="purchaser"
    )
    # Yes/no filters offer "Any" (not Django's "Unknown") and keep what was chosen.
    ContactFactory(account=account, name="Coach Kay", is_coach=True)
    html = contacts_page(client, account, is_coach="true")
    assert page_names(html) == ["Coach Kay"]
    assert '<option value="true" selected>Yes</option>' in html
    assert '<option value="" selected>Any</option>' in html  # is_active: not chosen
    assert "---------" not in html  # the buying role's "any" says so too
    # A value the filter cannot read says so and is left out, the other filters still
    # apply, and its export link holds the same: not every contact of the account.
    odd = contacts_page(client, account, buying_role="king", is_coach="true")
    assert "Select a valid choice." in odd
    assert page_names(odd) == ["Coach Kay"]
    ContactFactory(account=AccountFactory(owner=personas.alice), name="Other Account Person")
    link = re.search(r'href="(/export/contacts/\?format=csv[^"]+)"', odd).group(1)
    assert "king" not in link and "is_coach=true" in link
    text = b"".join(client.get(link.replace("&amp;", "&")).streaming_content).decode("utf-8-sig")
    assert "Coach Kay" in text and "Dee Cider" not in text
    assert "Other Account Person" not in text


def test_the_contacts_page_of_an_account_one_may_not_see_is_404(personas, login):
    hidden = personas.charlies_account
    response = login(personas.alice).get(reverse("accounts:contacts", args=[hidden.pk]))
    assert response.status_code == 404


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_pages_cost_the_same_queries_for_5_or_120_contacts(personas, login):
    account = personas.account
    client = login(personas.alice)
    for i in range(5):
        ContactFactory(account=account, buying_role=BuyingRole.DECIDER, name=f"A {i}")
    few = (
        queries(client, account.get_absolute_url()),
        queries(client, reverse("accounts:contacts", args=[account.pk])),
    )
    for i in range(115):
        ContactFactory(account=account, buying_role=BuyingRole.DECIDER, name=f"B {i}")
    many = (
        queries(client, account.get_absolute_url()),
        queries(client, reverse("accounts:contacts", args=[account.pk])),
    )
    assert many == few


def test_the_brief_draws_the_same_six_a_role_and_links_to_the_rest(personas, login):
    account = personas.account
    ContactFactory(
        account=account,
        name="Coach Low",
        buying_role=BuyingRole.DECIDER,
        is_coach=True,
        influence=Level.LOW,
    )
    for i in range(7):
        ContactFactory(account=account, name=f"Decider {i}", buying_role=BuyingRole.DECIDER)
    html = login(personas.alice).get(reverse("accounts:brief", args=[account.pk])).content
    html = html.decode()
    assert "Coach Low" in html
    drawn = [name for name in (f"Decider {i}" for i in range(7)) if name in html]
    assert len(drawn) == CHIPS_PER_ROLE - 1  # the coach and five of seven
    rest = reverse("accounts:contacts", args=[account.pk])
    assert f'href="{rest}?buying_role=decider&amp;is_active=true">2 more – Decider</a>' in html
