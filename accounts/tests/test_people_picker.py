"""The people picker: suggestions from /people/search/ limited to the people of the
user's own teams, the fields that resolve what was typed, picked or forged, and the forms
and filters that pick people without listing the company's users."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.forms import TeamMemberForm
from accounts.models import AccountTeamMember
from accounts.tests.factories import AccountFactory, ContactFactory, UserFactory
from opportunities.models import OpportunityTeamMember
from opportunities.tests.factories import OpportunityFactory, default_stages
from visits.models import Visit
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("people_search")
# Every factory-made user's email ends so: a query that every person matches.
EVERYONE = "example.com"


def suggested(client, q, **params) -> list[str]:
    response = client.get(SEARCH, {"q": q, **params})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return [row["label"] for row in response.json()["results"]]


def usernames(client, **params) -> set[str]:
    return {label.rsplit("(", 1)[-1].rstrip(")") for label in suggested(client, EVERYONE, **params)}


# --- who may be suggested ---------------------------------------------------------------


@pytest.mark.parametrize(
    "who, expected",
    [
        # A rep: themselves, their team and its manager; never another team's people.
        ("alice", {"alice", "bob", "carol", "manager"}),
        ("carol", {"alice", "bob", "carol", "manager"}),
        ("charlie", {"charlie", "other_manager"}),
        # A manager: the team they manage.
        ("manager", {"manager", "alice", "bob", "carol"}),
        ("other_manager", {"other_manager", "charlie"}),
        # A superuser: everyone active.
        ("admin", {"admin", "alice", "bob", "carol", "charlie", "manager", "other_manager"}),
    ],
)
def test_the_search_suggests_only_the_people_of_the_users_teams(personas, login, who, expected):
    UserFactory(username="dora", sales_team=personas.east, is_active=False)  # left the company
    assert usernames(login(getattr(personas, who))) == expected


def test_someone_on_no_team_is_offered_only_themselves(personas, login):
    loner = UserFactory(username="loner")
    assert usernames(login(loner)) == {"loner"}


def test_a_manager_who_is_on_a_team_too_is_offered_both_teams(personas, login):
    personas.manager.sales_team = personas.west
    personas.manager.save()
    assert usernames(login(personas.manager)) == {
        "manager", "alice", "bob", "carol", "charlie", "other_manager",
    }  # fmt: skip
    # Accounts and deals go only to the members of the teams they manage.
    assert usernames(login(personas.manager), scope="owners") == {
        "manager", "alice", "bob", "carol",
    }  # fmt: skip


def test_the_search_matches_username_name_either_way_round_and_email(personas, login):
    UserFactory(username="wjg", first_name="建国", last_name="王", sales_team=personas.east)
    client = login(personas.alice)
    assert suggested(client, "王建") == ["王建国 (wjg)"]
    assert suggested(client, "carol chen") == ["Carol Chen (carol)"]
    assert suggested(client, "carol@example") == ["Carol Chen (carol)"]
    assert suggested(client, "  CAROL ") == ["Carol Chen (carol)"]
    assert suggested(client, "charlie") == []  # another team's
    assert suggested(client, "") == []


def test_the_search_answers_ids_names_and_labels(personas, login):
    response = login(personas.alice).get(SEARCH, {"q": "carol"})
    assert response.json() == {
        "results": [{"id": personas.carol.pk, "name": "Carol Chen", "label": "Carol Chen (carol)"}]
    }


def test_the_search_suggests_at_most_twenty_in_one_query_however_many_match(personas, login):
    client = login(personas.alice)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            labels = suggested(client, "teammate")
        return labels, len(ctx.captured_queries)

    for i in range(5):
        UserFactory(
            username=f"teammate{i:02}", first_name="", last_name="", sales_team=personas.east
        )
    few, few_queries = queries()
    for i in range(5, 60):
        UserFactory(
            username=f"teammate{i:02}", first_name="", last_name="", sales_team=personas.east
        )
    many, many_queries = queries()
    assert few == [f"teammate{i:02}" for i in range(5)]
    assert many == [f"teammate{i:02}" for i in range(20)]
    assert many_queries == few_queries


def test_the_search_needs_a_signed_in_user_and_a_get(personas, client, login):
    response = client.get(SEARCH, {"q": "carol"})
    assert response.status_code == 302 and "Carol" not in response.content.decode()
    assert login(personas.alice).post(SEARCH, {"q": "carol"}).status_code == 405


# --- the field --------------------------------------------------------------------------


def picked(by, **data):
    form = TeamMemberForm({"role": "presales", **data}, user=by)
    return form.cleaned_data["user"] if form.is_valid() else form.errors["user"][0]


REFUSED = "Choose one of the people of your teams: type two letters of their name"


def test_a_person_is_picked_by_label_username_email_or_full_name(personas):
    alice, carol = personas.alice, personas.carol
    assert picked(alice, user=str(carol.pk), user_name="Carol Chen (carol)") == carol
    assert picked(alice, user="", user_name="Carol Chen (carol)") == carol
    assert picked(alice, user="", user_name="carol") == carol
    assert picked(alice, user="", user_name="CAROL@example.com") == carol
    assert picked(alice, user="", user_name="carol chen") == carol
    assert picked(alice, user="", user_name="Chen") == carol  # the only one whose name holds it
    assert picked(alice, user=str(carol.pk)) == carol  # a link with the id alone


def test_text_that_names_several_or_nobody_asks_again(personas):
    UserFactory(username="carl", first_name="Carl", last_name="Chen", sales_team=personas.east)
    assert picked(personas.alice, user="", user_name="chen").startswith(
        "Several people of your teams match “chen”"
    )
    assert picked(personas.alice, user="", user_name="zed").startswith(
        "Nobody of your teams is called “zed”"
    )


@pytest.mark.parametrize(
    "data",
    [
        {"user": "{charlie}"},  # another team's, by id
        {"user": "999999"},  # nobody's
        {"user": "99999999999999999999"},  # past any id the database can hold
        {"user": "-1"},
        {"user": "abc"},
        {"user": "", "user_name": "Charlie Wang (charlie)"},  # another team's label
    ],
)
def test_a_forged_person_is_refused_the_same_whether_or_not_they_exist(personas, data):
    data = {key: value.format(charlie=personas.charlie.pk) for key, value in data.items()}
    assert picked(personas.alice, **data).startswith(REFUSED)


def test_another_teams_person_typed_by_name_is_nobody_of_the_users_teams(personas):
    assert picked(personas.alice, user="", user_name="charlie").startswith(
        "Nobody of your teams is called “charlie”"
    )


def test_the_field_sent_back_suggests_the_matching_people_and_nobody_else(personas):
    UserFactory(username="carl", first_name="Carl", last_name="Chen", sales_team=personas.east)
    UserFactory(username="cathy", first_name="Cathy", last_name="Chen", sales_team=personas.west)
    form = TeamMemberForm(
        {"user": "", "user_name": "chen", "role": "presales"}, user=personas.alice
    )
    assert not form.is_valid()
    html = str(form["user"])
    assert 'name="user_name" value="chen"' in html
    assert '<option value="Carl Chen (carl)" data-id="' in html
    assert f'<option value="Carol Chen (carol)" data-id="{personas.carol.pk}"' in html
    assert "Cathy" not in html


# --- forms that pick people -------------------------------------------------------------


def test_the_account_team_takes_a_colleague_typed_or_picked_and_refuses_a_forged_one(
    personas, login
):
    client = login(personas.alice)
    url = reverse("accounts:team_add", args=[personas.account.pk])
    client.post(url, {"user": "", "user_name": "carol", "role": "presales"})
    response = client.post(url, {"user": personas.charlie.pk, "role": "presales"}, follow=True)
    assert REFUSED in response.content.decode()
    members = AccountTeamMember.objects.filter(account=personas.account)
    assert {member.user.username for member in members} == {"bob", "carol"}


def test_the_deal_team_refuses_a_forged_colleague_with_a_field_error(personas, login):
    default_stages()
    deal = OpportunityFactory(account=personas.account)
    client = login(personas.alice)
    url = reverse("opportunities:team_add", args=[deal.pk])
    response = client.post(url, {"team-user": personas.charlie.pk, "team-role": "presales"})
    assert response.status_code == 200
    assert response.context["team_form"].errors["user"][0].startswith(REFUSED)
    assert "Charlie" not in str(response.context["team_form"]["user"])
    client.post(url, {"team-user": "", "team-user_name": "bob", "team-role": "presales"})
    assert [m.user for m in OpportunityTeamMember.objects.filter(opportunity=deal)] == [
        personas.bob
    ]


def contact_data(contact, **changes):
    data = {
        "name": contact.name,
        "buying_role": contact.buying_role,
        "attitude": contact.attitude,
        "influence": contact.influence,
        "is_active": "on",
        "version": contact.version,
        "relationship_owner": contact.relationship_owner_id or "",
    }
    data.update(changes)
    return data


def test_a_contacts_relationship_owner_kept_as_it_was_saves_even_from_another_team(personas, login):
    """A relationship owner who is not among the people the editor may pick (they moved to
    another team since) stays when the form goes back untouched; picking them anew does
    not work."""
    kept = ContactFactory(account=personas.account, relationship_owner=personas.charlie)
    other = ContactFactory(account=personas.account, relationship_owner=personas.bob)
    client = login(personas.alice)

    def edit(contact, **changes):
        url = reverse("accounts:contact_edit", args=[personas.account.pk, contact.pk])
        return client.post(url, contact_data(contact, **changes))

    assert edit(kept, title="Director").status_code == 302
    kept.refresh_from_db()
    assert kept.relationship_owner == personas.charlie and kept.title == "Director"

    response = edit(other, relationship_owner=personas.charlie.pk)
    assert response.status_code == 200
    assert response.context["form"].errors["relationship_owner"][0].startswith(REFUSED)
    other.refresh_from_db()
    assert other.relationship_owner == personas.bob

    assert edit(other, relationship_owner="", relationship_owner_name="carol").status_code == 302
    other.refresh_from_db()
    assert other.relationship_owner == personas.carol


def test_a_manager_gives_an_account_only_to_a_member_of_the_team_they_manage(personas, login):
    client = login(personas.manager)
    account = personas.account
    url = reverse("accounts:edit", args=[account.pk])
    form = client.get(url).context["form"]
    assert 'value="alice (alice)"' not in str(form["owner"])  # the label as shown
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in {"owner", "website"}
    }
    data.update(version=account.version)
    response = client.post(url, {**data, "owner": personas.charlie.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["owner"][0].startswith(REFUSED)
    response = client.post(url, {**data, "owner": "", "owner_name": "carol"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.owner == personas.carol


def test_a_visits_colleagues_are_typed_ticked_or_kept_and_a_forged_one_refused(personas, login):
    visit = VisitFactory(account=personas.account)
    visit.attendees.set([personas.charlie])  # went along before moving teams, say
    client = login(personas.alice)
    url = reverse("visits:edit", args=[visit.pk])
    form = client.get(url).context["form"]
    html = str(form["attendees"])
    assert f'type="checkbox" name="attendees" value="{personas.charlie.pk}" checked' in html
    assert "<option" not in html
    data = {
        "occurred_at": form["occurred_at"].value().strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "60",
        "method": "in_person",
        "customer_attitude": "supporter",
        "follow_up_due": visit.follow_up_due.isoformat(),
        "version": visit.version,
    }

    # Kept (ticked) and two more typed without JavaScript.
    response = client.post(
        url, {**data, "attendees": [personas.charlie.pk], "attendees_name": "bob; Carol Chen"}
    )
    assert response.status_code == 302
    assert set(Visit.objects.get(pk=visit.pk).attendees.all()) == {
        personas.charlie, personas.bob, personas.carol,
    }  # fmt: skip

    # Another team's person who was not on the visit cannot be added by id.
    visit.refresh_from_db()
    response = client.post(
        url,
        {**data, "version": visit.version, "attendees": [personas.other_manager.pk]},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["attendees"][0].startswith(REFUSED)
    assert "Otto" not in str(response.context["form"]["attendees"])

    # Nor by an id nobody has, however large.
    for forged in ["999999", "99999999999999999999", "abc"]:
        response = client.post(url, {**data, "version": visit.version, "attendees": [forged]})
        assert response.status_code == 200
        assert response.context["form"].errors["attendees"][0].startswith(REFUSED), forged

    # Unticking removes.
    response = client.post(url, {**data, "version": visit.version, "attendees_name": ""})
    assert response.status_code == 302
    assert list(Visit.objects.get(pk=visit.pk).attendees.all()) == []


# --- filters that pick people -----------------------------------------------------------


def listed_names(response) -> set[str]:
    return {account.name for account in response.context["page"].object_list}


def test_the_account_list_filters_by_an_owner_picked_typed_or_linked(personas, login):
    AccountFactory(name="Carol's Co", owner=personas.carol)
    AccountFactory(name="Bob's Co", owner=personas.bob)
    client = login(personas.manager)
    url = reverse("accounts:list")
    assert listed_names(client.get(url, {"owner": personas.carol.pk})) == {"Carol's Co"}
    assert listed_names(client.get(url, {"owner": "", "owner_name": "bob"})) == {"Bob's Co"}
    response = client.get(url, {"owner": personas.carol.pk})
    assert 'name="owner_name" value="Carol Chen (carol)"' in response.content.decode()


@pytest.mark.parametrize("forged", ["{charlie}", "99999999999999999999", "-1", "abc"])
def test_a_forged_owner_is_left_out_of_the_list_with_a_message(personas, login, forged):
    client = login(personas.alice)
    forged = forged.format(charlie=personas.charlie.pk)
    response = client.get(reverse("accounts:list"), {"owner": forged, "industry": "finance"})
    assert response.status_code == 200
    assert response.context["filter"].form.errors["owner"][0].startswith(REFUSED)
    # The other filters still apply; nothing of charlie's appears, named or listed.
    assert listed_names(response) == set()
    assert listed_names(client.get(reverse("accounts:list"), {"owner": forged})) == {
        "Alice's Customer Co"
    }
    assert "Charlie" not in response.content.decode()


def test_the_board_filters_by_an_owner_typed_by_name(personas, login):
    default_stages()
    OpportunityFactory(account=personas.account, owner=personas.alice, name="Alice's deal")
    OpportunityFactory(account=personas.account, owner=personas.bob, name="Bob's deal")
    response = login(personas.alice).get(
        reverse("opportunities:board"), {"owner": "", "owner_name": "bob"}
    )
    context = response.context
    columns = [*context["open_columns"], *context["closed_columns"]]
    cards = [deal.name for column in columns for deal in column.cards]
    assert cards == ["Bob's deal"]


# --- pages that pick people stay the same size with hundreds of them ---------------------


def pages_that_pick_people(personas) -> dict:
    default_stages()
    deal = OpportunityFactory(account=personas.account, owner=personas.alice)
    visit = VisitFactory(account=personas.account)
    account = personas.account.pk
    return {
        "account list": reverse("accounts:list"),
        "my week": reverse("visits:my_week"),
        "board": reverse("opportunities:board"),
        "dashboard": reverse("scoring:dashboard"),
        "development records": reverse("visits:record_list"),
        "recycle bin": reverse("recyclebin:bin"),
        "account page (team)": reverse("accounts:detail", args=[account]),
        "new account (owner)": reverse("accounts:create"),
        "account edit (owner)": reverse("accounts:edit", args=[account]),
        "new contact (relationship owner)": reverse("accounts:contact_create", args=[account]),
        "new visit (colleagues)": reverse("visits:create", args=[account]),
        "visit edit (colleagues)": reverse("visits:edit", args=[visit.pk]),
        "deal page (team)": deal.get_absolute_url(),
        "deal edit (owner)": reverse("opportunities:edit", args=[deal.pk]),
    }


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_pages_that_pick_people_cost_the_same_with_5_or_50_more_of_them(personas, login, who):
    """A manager's team and the whole company (a superuser) grow from 5 to 50 more people:
    every page that picks a person asks as many queries and offers none of them as an
    <option>; the pickers suggest them as the user types."""
    urls = pages_that_pick_people(personas)
    client = login(getattr(personas, who))

    def grow_to(n):
        for i in range(n):
            UserFactory(username=f"extra{i:03}", sales_team=personas.east)
            UserFactory(username=f"far{i:03}", sales_team=personas.west)

    def fetch(url):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, url
        return response.content.decode(), len(ctx.captured_queries)

    for url in urls.values():
        # Work done once, not per person: a process reads the risk table's spec once
        # (scoring.specs), the board's kept totals are counted once (board_totals).
        fetch(url)
    grow_to(5)
    few = {name: fetch(url) for name, url in urls.items()}
    grow_to(50)
    for name, url in urls.items():
        html, queries = fetch(url)
        assert queries == few[name][1], name
        assert html.count("<option") == few[name][0].count("<option"), name
        for i in (0, 7, 49):
            assert f">extra{i:03}</option>" not in html, name
            assert f'<option value="extra{i:03}"' not in html, name
