"""The relationship heat-map (关系热力图): each account's buying center by role, the
attitude in colour and words, how recently we met each person against the account's
rhythm, and for A and B accounts whether each level is met by its counterpart."""

import datetime
import re
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountTeamRole, Attitude, BuyingRole
from accounts.tests.factories import (
    AccountFactory,
    ContactFactory,
    TeamMemberFactory,
    UserFactory,
    policy_set,
)
from accounts.tests.test_contact_forms import contact_data
from scoring.services import rescore
from scoring.tests.builders import strong_soon_account
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db

URL = reverse("visits:heat_map")


def rows_of(response) -> dict:
    return {row.account.name: row for row in response.context["rows"]}


def met(contact, *, days_ago, owner, attendees=()):
    visit = VisitFactory(
        account=contact.account,
        owner=owner,
        occurred_at=timezone.now() - datetime.timedelta(days=days_ago),
    )
    visit.contacts.set([contact])
    visit.attendees.set(attendees)
    return visit


def test_each_role_shows_who_how_they_stand_and_when_we_met_them(personas, login):
    policy_set(rhythm={"D": 30})
    account = personas.account  # not graded yet: the D rhythm, 30 days
    decider = ContactFactory(
        account=account, name="Dai", buying_role=BuyingRole.DECIDER, attitude=Attitude.SUPPORTER
    )
    ContactFactory(account=account, name="Eva", buying_role=BuyingRole.EVALUATOR)
    user = ContactFactory(
        account=account, name="Ursula", buying_role=BuyingRole.USER, attitude=Attitude.OPPONENT
    )
    ContactFactory(account=account, name="Uma", buying_role=BuyingRole.USER, is_coach=True)
    met(decider, days_ago=10, owner=personas.alice)
    met(user, days_ago=70, owner=personas.alice)

    response = login(personas.alice).get(URL)
    row = rows_of(response)["Alice's Customer Co"]
    cells = row.cells
    assert (cells["decider"].contact["name"], cells["decider"].days) == ("Dai", 10)
    assert cells["decider"].freshness == "fresh"
    assert (cells["user"].contact["name"], cells["user"].more) == ("Ursula", 1)  # met, first
    assert cells["user"].freshness == "fading"  # 70 days: within three rhythms
    assert cells["evaluator"].freshness == "never"
    assert cells["purchaser"].contact is None
    assert cells["coach"].contact["name"] == "Uma"

    html = response.content.decode()
    # Meaning never by colour alone: the attitude and the days are written out, in
    # each person's cell (the legend above lists every attitude too).
    cell_html = dict(re.findall(r'<td data-role="(\w+)">(.*?)</td>', html, re.S))
    assert "Supporter" in cell_html["decider"] and "met 10 days ago" in cell_html["decider"]
    assert "Opponent" in cell_html["user"] and "Supporter" not in cell_html["user"]
    assert "never met" in cell_html["evaluator"]
    assert reverse("accounts:contact_edit", args=[account.pk, decider.pk]) in html
    assert row.checks == []  # the levels are checked for A and B only


def test_an_a_accounts_levels_are_met_by_their_counterparts_or_linked_to_plan(personas, login):
    account = strong_soon_account(personas.alice)
    rescore([account.pk])
    sponsor = UserFactory(username="sponsor", sales_team=personas.east)
    TeamMemberFactory(account=account, user=sponsor, role=AccountTeamRole.EXECUTIVE_SPONSOR)
    decider = ContactFactory(account=account, buying_role=BuyingRole.DECIDER)
    user = ContactFactory(account=account, buying_role=BuyingRole.USER)
    evaluator = ContactFactory(account=account, buying_role=BuyingRole.EVALUATOR)
    met(decider, days_ago=3, owner=personas.alice, attendees=[sponsor])
    met(user, days_ago=2, owner=personas.alice)
    met(evaluator, days_ago=1, owner=personas.alice)  # the rep, not presales
    presales = UserFactory(username="presales", sales_team=personas.east)
    TeamMemberFactory(account=account, user=presales, role=AccountTeamRole.PRESALES)

    response = login(personas.alice).get(URL, {"grade": "A"})
    row = rows_of(response)[account.name]
    assert row.grade == "A"
    assert {check.key: check.ok for check in row.checks} == {
        "decider_by_sponsor": True,
        "user_by_rep": True,
        "evaluator_by_presales": False,
    }
    plan = (
        reverse("visits:create", args=[account.pk]) + f"?status=planned&amp;contact={evaluator.pk}"
    )
    assert plan in response.content.decode()
    assert list(rows_of(response)) == [account.name]  # the grade filter applies


def test_only_the_users_accounts_are_shown(personas, login):
    ContactFactory(account=personas.charlies_account, buying_role=BuyingRole.DECIDER)
    names = set(rows_of(login(personas.alice).get(URL)))
    assert "Charlie's Customer Co" not in names and "Alice's Customer Co" in names


def test_the_page_costs_the_same_queries_for_few_or_many_accounts(personas, login):
    client = login(personas.alice)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    strong = strong_soon_account(personas.alice, name="A Co")
    rescore([strong.pk])
    met(
        ContactFactory(account=strong, buying_role=BuyingRole.DECIDER),
        days_ago=1,
        owner=personas.alice,
    )
    few = queries()
    for i in range(8):
        account = strong_soon_account(personas.alice, name=f"More Co {i}")
        contact = ContactFactory(account=account, buying_role=BuyingRole.USER)
        met(contact, days_ago=i + 1, owner=personas.alice)
        AccountFactory(owner=personas.alice, name=f"Plain Co {i}")
    rescore()
    assert queries() == few


def test_the_count_of_an_unfiltered_heat_map_needs_no_count_query(personas, login):
    """Over the rows, how many accounts the person's heat-map has: their live visible
    accounts (the one in the recycle bin left out), read with their ids; a filter that
    narrows them is counted."""
    from accounts.services import account_delete

    for i in range(4):
        AccountFactory(owner=personas.alice, name=f"Plain Co {i}")
    account_delete(
        account=AccountFactory(owner=personas.alice, name="Binned Co"), by=personas.alice
    )
    client = login(personas.alice)

    def counted(params):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, params)
        counts = [q for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(")]
        return response.context["page"].count, len(counts)

    # Alice's Customer Co and the four Plain Co.
    assert counted({}) == (5, 0)
    assert counted({"ordering": "-name"}) == (5, 0)
    assert counted({"q": "Plain"}) == (4, 1)


def test_a_cell_says_in_words_who_how_they_stand_and_when_we_met_them(personas, login):
    """The cell's text as a screen reader reads it, in both languages; a name is text,
    never markup; an empty role says so."""
    policy_set(rhythm={"D": 30})
    account = personas.account
    decider = ContactFactory(
        account=account,
        name="<b>Dai</b> & Co",
        buying_role=BuyingRole.DECIDER,
        attitude=Attitude.SUPPORTER,
    )
    ContactFactory(account=account, name="Zed", buying_role=BuyingRole.DECIDER)
    met(decider, days_ago=1, owner=personas.alice)
    ContactFactory(account=account, name="Eva", buying_role=BuyingRole.EVALUATOR)
    client = login(personas.alice)

    def cells(language):
        html = client.get(URL, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        found = dict(re.findall(r'<td data-role="(\w+)">(.*?)</td>', html, re.S))
        return {
            role: " ".join(re.sub(r"<[^>]+>", " ", text).split()) for role, text in found.items()
        }, found

    english, raw = cells("en")
    assert english["decider"] == (
        "&lt;b&gt;Dai&lt;/b&gt; &amp; Co +1 Supporter met 1 day ago , within the rhythm"
    )
    assert english["evaluator"] == "Eva Neutral never met"
    assert english["purchaser"] == "– nobody in this role"
    assert 'class="hm-cell att-supporter met-fresh" data-freshness="fresh"' in raw["decider"]
    assert reverse("accounts:contact_edit", args=[account.pk, decider.pk]) in raw["decider"]
    chinese, _raw = cells("zh-hans")
    assert "支持 1 天前拜访过 ，在联系周期内" in chinese["decider"]
    assert chinese["purchaser"] == "– 该角色无人"


def test_a_person_met_today_is_met_today_not_0_days_ago(personas, login):
    decider = ContactFactory(account=personas.account, name="Dai", buying_role=BuyingRole.DECIDER)
    met(decider, days_ago=0, owner=personas.alice)
    client = login(personas.alice)
    for language, said in (("en", "met today"), ("zh-hans", "今天拜访过")):
        html = client.get(URL, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        cell = re.search(r'<td data-role="decider">(.*?)</td>', html, re.S).group(1)
        assert f'<span class="hm-met">{said}<span' in cell, language
        assert "0 " not in re.sub(r"<[^>]+>", "", cell), language


def test_the_levels_say_in_words_what_is_met_and_link_what_to_do(personas, login):
    account = strong_soon_account(personas.alice)
    rescore([account.pk])
    decider = ContactFactory(account=account, buying_role=BuyingRole.DECIDER)
    user = ContactFactory(account=account, buying_role=BuyingRole.USER)
    met(user, days_ago=2, owner=personas.alice)  # no evaluator at all
    client = login(personas.alice)

    def levels(language):
        html = client.get(URL, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        rows = dict(
            re.findall(r'<tr data-account="(\d+)".*?<td data-levels>(.*?)</td>', html, re.S)
        )
        return {
            pk: " ".join(re.sub(r"<[^>]+>", " ", text).split()) for pk, text in rows.items()
        }, rows

    english, raw = levels("en")
    # No executive sponsor on the team: no visit can meet the decider's level until one
    # is on it, so the link adds one (a plan link would close nothing).
    assert english[str(account.pk)] == (
        "✗ Decider met by our executive sponsor: nobody on the account team in this role "
        "· add them to the team "
        "✓ User met by the rep: yes "
        "✗ Evaluator met by presales: nobody in this role · add the contact"
    )
    team = reverse("accounts:detail", args=[account.pk]) + "#team"
    add = reverse("accounts:contact_create", args=[account.pk]) + "?role=evaluator"
    add += "&amp;next=/relationships/"  # back here after saving
    assert f'href="{team}"' in raw[str(account.pk)] and f'href="{add}"' in raw[str(account.pk)]
    # bob, on the account team but not its owner, may not add to it: told whom to ask,
    # not sent to a team section with no form for him.
    TeamMemberFactory(account=account, user=personas.bob)
    login(personas.bob)
    bobs, bobs_raw = levels("en")
    assert bobs[str(account.pk)].startswith(
        "✗ Decider met by our executive sponsor: nobody on the account team in this role "
        "· ask the account&#x27;s owner or a manager to add them ✓"
    )
    assert f'href="{team}"' not in bobs_raw[str(account.pk)]
    login(personas.alice)
    sponsor = UserFactory(username="sponsor", sales_team=personas.east)
    TeamMemberFactory(account=account, user=sponsor, role=AccountTeamRole.EXECUTIVE_SPONSOR)
    english, raw = levels("en")
    assert english[str(account.pk)].startswith(
        "✗ Decider met by our executive sponsor: not within the rhythm · plan the visit "
    )
    # The sponsor goes along: the visit as planned meets the level.
    plan = reverse("visits:create", args=[account.pk]) + (
        f"?status=planned&amp;contact={decider.pk}&amp;attendee={sponsor.pk}"
    )
    assert f'href="{plan}"' in raw[str(account.pk)]
    planning = client.get(plan.replace("&amp;", "&"))
    assert planning.context["form"]["contacts"].value() == [decider.pk]
    assert planning.context["form"]["attendees"].value() == [sponsor.pk]
    assert f'value="{sponsor.pk}" checked' in planning.content.decode()
    # Someone alice may not pick (another team's) is left out.
    stranger = UserFactory(username="stranger", sales_team=personas.west)
    other = client.get(plan.replace("&amp;", "&").replace(str(sponsor.pk), str(stranger.pk)))
    assert f'value="{stranger.pk}" checked' not in other.content.decode()
    assert '<li data-check="user_by_rep" data-ok="yes">' in raw[str(account.pk)]
    assert english[str(personas.account.pk)] == "checked for A and B"  # not graded yet
    chinese, _raw = levels("zh-hans")
    assert "✓" in chinese[str(account.pk)]
    for text in chinese.values():  # every word in Chinese: no English word left
        assert re.search("[a-z]{2,}", text) is None, text
    # Chinese punctuation: 决策者由我方高层拜访：…, never an ASCII colon.
    assert "：" in chinese[str(account.pk)] and ":" not in chinese[str(account.pk)]


def test_the_coverage_gap_filters_narrow_the_heat_map(personas, login):
    """The account list's gap filters read flags the heat-map's rows do not carry
    (`account_list(flags=False)`: aliases): each still narrows the rows."""
    with_decider = AccountFactory(owner=personas.alice, name="Has Decider Co")
    ContactFactory(account=with_decider, buying_role=BuyingRole.DECIDER, is_coach=True)
    without = AccountFactory(owner=personas.alice, name="No Decider Co")
    ContactFactory(account=without, buying_role=BuyingRole.USER)
    client = login(personas.alice)
    shown = set(rows_of(client.get(URL, {"gap": "no_decider"})))
    assert "No Decider Co" in shown and "Has Decider Co" not in shown
    shown = set(rows_of(client.get(URL, {"gap": "no_coach"})))
    assert "No Decider Co" in shown and "Has Decider Co" not in shown
    shown = set(rows_of(client.get(URL)))
    assert {"No Decider Co", "Has Decider Co"} <= shown


# --- the export ---------------------------------------------------------------------------


def test_the_heat_map_exports_its_accounts_with_each_roles_cells(personas, login, monkeypatch):
    """Its file: the page's accounts in its order, under its filters, each role's person
    (the one met last, "+n" for the others), attitude, the day last met and how recently
    in words, the level checks of A and B accounts (empty for the others); in chunks,
    each chunk's cells read for its own accounts."""
    from keyaccounts.exports import files
    from keyaccounts.tests.export_links import export_link, exported_records

    policy_set(rhythm={"D": 30})
    account = personas.account  # not graded: D
    decider = ContactFactory(
        account=account, name="Dai", buying_role=BuyingRole.DECIDER, attitude=Attitude.SUPPORTER
    )
    ContactFactory(account=account, name="Zed", buying_role=BuyingRole.DECIDER)
    ContactFactory(account=account, name="Uma", buying_role=BuyingRole.USER, is_coach=True)
    visit = met(decider, days_ago=10, owner=personas.alice)
    strong = strong_soon_account(personas.alice, name="Strong Co")
    rescore([strong.pk])
    user = ContactFactory(account=strong, name="Ursula", buying_role=BuyingRole.USER)
    met(user, days_ago=2, owner=personas.alice)
    for i in range(3):
        AccountFactory(owner=personas.alice, name=f"Plain Co {i}")
    monkeypatch.setattr(files, "CHUNK_SIZE", 2)  # three chunks of the five accounts
    client = login(personas.alice)

    html = client.get(URL, {"ordering": "-name"}).content.decode()
    link = export_link(html, "heat-map")
    assert link == "/export/heat-map/?format=csv&ordering=-name"
    assert export_link(html, "heat-map", "xlsx")
    rows = exported_records(client, link)
    on_page = client.get(URL, {"ordering": "-name"}).context["rows"]
    assert [row["Account"] for row in rows] == [row.account.name for row in on_page]
    assert [row["Account"] for row in rows] == [
        "Strong Co", "Plain Co 2", "Plain Co 1", "Plain Co 0", "Alice's Customer Co",
    ]  # fmt: skip
    mine = next(row for row in rows if row["Account"] == "Alice's Customer Co")
    assert mine["Decider"] == "Dai (+1)"
    assert mine["Decider: attitude"] == "Supporter"
    assert mine["Decider: last met"] == timezone.localdate(visit.occurred_at).isoformat()
    assert mine["Decider: how recently"] == "within the rhythm"
    assert mine["Evaluator"] == mine["Evaluator: attitude"] == mine["Evaluator: last met"] == ""
    assert (mine["Coach"], mine["Coach: how recently"]) == ("Uma", "never met")
    assert mine["Decider met by our executive sponsor"] == ""  # a D account: not checked
    strong_row = rows[0]
    assert strong_row["Grade"] == "A" and strong_row["User"] == "Ursula"
    assert strong_row["User met by the rep"] == "Yes"
    assert strong_row["Decider met by our executive sponsor"] == "No"
    # The page's filters choose the rows.
    graded = exported_records(client, "/export/heat-map/?format=csv&grade=A")
    assert [row["Account"] for row in graded] == ["Strong Co"]
    # In Chinese, its headers and words.
    chinese = exported_records(
        client, "/export/heat-map/?format=csv&q=Alice", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert list(chinese[0])[:5] == ["等级", "客户", "负责人", "决策者", "决策者：态度"]
    assert chinese[0]["决策者：见面时效"] == "在联系周期内"


def test_the_heat_map_file_costs_the_same_queries_for_few_or_many_accounts(personas, login):
    from keyaccounts.tests.export_links import exported_records

    client = login(personas.alice)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            rows = exported_records(client, "/export/heat-map/?format=csv")
        return len(ctx.captured_queries), len(rows)

    strong = strong_soon_account(personas.alice, name="A Co")
    rescore([strong.pk])
    decider = ContactFactory(account=strong, buying_role=BuyingRole.DECIDER)
    met(decider, days_ago=1, owner=personas.alice)
    few, count = queries()
    for i in range(8):
        account = strong_soon_account(personas.alice, name=f"More Co {i}")
        user = ContactFactory(account=account, buying_role=BuyingRole.USER)
        met(user, days_ago=i + 1, owner=personas.alice)
    rescore()
    many, more = queries()
    assert more == count + 8 and many == few


def test_the_heat_map_is_kept_per_address_and_its_viewers_save_shows_at_once(
    personas, login, settings
):
    """Kept as the dashboard's figures are (keyaccounts/snapshots/): a second view reads
    the page kept a moment ago, not the contacts, visits and teams again; another filter
    or page is its own; `?refresh=1` and the viewer's own save compute it now."""
    from django.core.cache import cache

    settings.SNAPSHOT_SECONDS = 300
    cache.clear()  # no note of an earlier test's writes
    decider = ContactFactory(
        account=personas.account, name="Dai", buying_role=BuyingRole.DECIDER,
        attitude=Attitude.NEUTRAL,
    )  # fmt: skip

    def decider_cell(response) -> str:
        cells = dict(re.findall(r'<td data-role="(\w+)">(.*?)</td>', response.content.decode()))
        return cells["decider"]

    client = login(personas.alice)
    first = client.get(URL)
    assert first.status_code == 200 and not first.context["snapshot"].kept
    assert "Neutral" in decider_cell(first)
    # Someone else wins the decider over: nothing of alice's.
    decider.attitude = Attitude.SUPPORTER
    decider.save()
    with CaptureQueriesContext(connection) as queries:
        second = client.get(URL)
    assert second.context["snapshot"].kept
    assert second.context["snapshot"].computed_at == first.context["snapshot"].computed_at
    assert "Figures as of" in second.content.decode()
    assert "Neutral" in decider_cell(second)  # as it was kept
    # The cells' reads did not run (the page's header reads visits of its own).
    for table in ("accounts_contact", "visits_visit_contacts", "accounts_accountteammember"):
        assert not any(table in q["sql"] for q in queries.captured_queries), table
    # Another filter is another page, computed now: the decider as they stand now.
    other = client.get(URL, {"industry": personas.account.industry})
    assert not other.context["snapshot"].kept and "Supporter" in decider_cell(other)
    # "Compute them now" answers the same address without `refresh`, then shows it.
    response = client.get(URL, {"refresh": "1"})
    assert response.status_code == 302 and response["Location"] == URL
    assert "Supporter" in decider_cell(client.get(URL))

    # Alice sets the decider against us herself: her next view shows it.
    assert client.get(URL).context["snapshot"].kept
    response = client.patch(
        f"/api/v1/contacts/{decider.pk}/",
        {"attitude": Attitude.OPPONENT},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    after = client.get(URL)
    assert not after.context["snapshot"].kept and "Opponent" in decider_cell(after)


def test_computing_a_later_page_now_computes_that_page_with_its_links(
    personas, login, settings, monkeypatch
):
    """`?refresh=1` on the second page computes the second page (its cursor read as the
    page made it), and its links carry no `refresh`."""
    from django.core.cache import cache

    from visits import heatmap_views

    settings.SNAPSHOT_SECONDS = 300
    cache.clear()
    monkeypatch.setattr(heatmap_views, "PAGE_SIZE", 2)
    for name in ("Bravo Co", "Charlie Co", "Delta Co"):
        AccountFactory(owner=personas.alice, name=name)
    client = login(personas.alice)
    first = client.get(URL)
    second_url = first.context["page"].next_url
    second = client.get(second_url)
    names = [row.account.name for row in second.context["rows"]]
    response = client.get(second_url + "&refresh=1")
    assert response.status_code == 302 and response["Location"] == second_url
    again = client.get(second_url)
    assert again.context["snapshot"].kept  # what the refresh kept for this address
    rows = again.context["snapshot"].content
    assert names and [name for name in names if name in rows] == names
    assert "Alice" not in rows  # the first page's first account: not this page
    assert "First page" in rows and "refresh" not in rows


def test_a_links_lost_place_is_said_on_every_view_of_the_kept_page(personas, login, settings):
    """A garbled or outdated cursor opens the first page and says so: with the rows, so
    that a view of the kept page says it too (no message goes in a snapshot)."""
    from django.core.cache import cache

    settings.SNAPSHOT_SECONDS = 300
    cache.clear()
    client = login(personas.alice)
    said = "no longer fits it"
    first = client.get(URL, {"after": "garbled"})
    assert not first.context["snapshot"].kept
    assert first.content.decode().count(said) == 1  # said once, not also as a message
    again = client.get(URL, {"after": "garbled"})
    assert again.context["snapshot"].kept
    assert again.content.decode().count(said) == 1
    assert said not in client.get(URL).content.decode()


def test_the_background_keeps_only_each_filters_first_page_fresh(
    personas, login, settings, monkeypatch
):
    """Paging through the heat-map once does not make the background compute every page
    seen for an hour: only the first (each filter's); a later page is computed by its
    own view when it is stale."""
    from django.core.cache import cache

    from keyaccounts.models import Snapshot
    from keyaccounts.snapshots import services as snapshots
    from visits import heatmap_views

    settings.SNAPSHOT_SECONDS = 300
    cache.clear()
    monkeypatch.setattr(heatmap_views, "PAGE_SIZE", 1)
    for name in ("Bravo Co", "Charlie Co", "Delta Co"):
        AccountFactory(owner=personas.alice, name=name)
    client = login(personas.alice)
    url, seen = URL, 0
    while url:
        url = client.get(url).context["page"].next_url
        seen += 1
    kept = Snapshot.objects.filter(user=personas.alice, name="heat-map")
    assert seen == 4 and kept.count() == 4
    ago = timezone.now() - datetime.timedelta(seconds=250)
    kept.update(computed_at=ago, viewed_at=ago)
    assert snapshots.refresh_due() == 1
    fresh = kept.filter(computed_at__gt=ago)
    assert list(fresh.values_list("path", flat=True)) == [URL]


def test_a_person_edited_or_added_from_the_heat_map_comes_back_to_it(personas, login):
    """A cell's person and "add the contact" carry the heat-map's address (filters and
    all): saving returns there, as does Cancel; another site's `next` is ignored."""
    from accounts.models import Contact

    account = strong_soon_account(personas.alice)
    rescore([account.pk])
    decider = ContactFactory(account=account, name="Dai", buying_role=BuyingRole.DECIDER)
    client = login(personas.alice)
    page = client.get(URL, {"grade": "A"})
    html = page.content.decode()
    back = f"{URL}?grade=A"
    edit = reverse("accounts:contact_edit", args=[account.pk, decider.pk])
    edit_link = f"{edit}?next={quote(back)}"
    assert f'href="{edit_link}"' in html
    add = reverse("accounts:contact_create", args=[account.pk])
    assert f'href="{add}?role=evaluator&amp;next={quote(back)}"' in html

    form = client.get(edit_link)
    assert f'name="next" value="{back}"' in form.content.decode().replace("&amp;", "&")
    data = contact_data(
        name="Dai",
        buying_role=BuyingRole.DECIDER,
        attitude=Attitude.SUPPORTER,
        version=decider.version,
        next=back,
    )
    saved = client.post(edit, data)
    assert saved.status_code == 302 and saved["Location"] == back, saved.content[:2000]
    assert Contact.objects.get(pk=decider.pk).attitude == Attitude.SUPPORTER
    data["version"] = Contact.objects.get(pk=decider.pk).version
    elsewhere = client.post(edit, {**data, "next": "https://evil.example/"})
    assert elsewhere["Location"] == account.get_absolute_url() + "#buying-center"
