"""The one visibility rule, proven on the selector and on every page and form."""

import pytest
from django.urls import reverse

from accounts.models import AccountTeamMember, Contact
from accounts.selectors import accounts_visible_to, contacts_visible_to
from accounts.tests.factories import AccountFactory, CompetitorFactory, ContactFactory

pytestmark = pytest.mark.django_db


def visible_names(user):
    return set(accounts_visible_to(user).values_list("name", flat=True))


def test_owner_sees_their_account(personas):
    assert visible_names(personas.alice) == {"Alice's Customer Co"}


def test_account_teammate_sees_the_account(personas):
    assert visible_names(personas.bob) == {"Alice's Customer Co"}


def test_rep_on_the_same_sales_team_but_not_the_account_team_sees_nothing(personas):
    assert visible_names(personas.carol) == set()


def test_rep_of_another_team_sees_only_their_own(personas):
    assert visible_names(personas.charlie) == {"Charlie's Customer Co"}


def test_manager_sees_every_account_of_their_team_and_no_other(personas):
    carols = AccountFactory(name="Carol's Co", owner=personas.carol)
    assert visible_names(personas.manager) == {"Alice's Customer Co", carols.name}
    assert visible_names(personas.other_manager) == {"Charlie's Customer Co"}


def test_manager_sees_an_account_where_only_a_team_member_is_on_the_account_team(personas):
    outside_owner = AccountFactory(name="Shared Co")
    AccountTeamMember.objects.create(account=outside_owner, user=personas.carol, role="presales")
    assert "Shared Co" in visible_names(personas.manager)


def test_superuser_sees_all(personas):
    assert visible_names(personas.admin) == {"Alice's Customer Co", "Charlie's Customer Co"}


def test_inactive_and_anonymous_users_see_nothing(personas):
    from django.contrib.auth.models import AnonymousUser

    personas.alice.is_active = False
    assert visible_names(personas.alice) == set()
    assert not accounts_visible_to(AnonymousUser()).exists()


def test_account_on_two_paths_is_listed_once(personas):
    # alice owns it and is also on its team: no duplicate rows.
    AccountTeamMember.objects.create(
        account=personas.account, user=personas.alice, role="sales_rep"
    )
    assert accounts_visible_to(personas.alice).count() == 1


def test_contacts_follow_their_account(personas):
    ContactFactory(account=personas.account, name="Zhang")
    ContactFactory(account=personas.charlies_account, name="Wang")
    assert set(contacts_visible_to(personas.bob).values_list("name", flat=True)) == {"Zhang"}


def account_urls(account, contact, competitor, member):
    """Every page and form that belongs to one account (GET and POST targets)."""
    pk = account.pk
    return [
        ("get", reverse("accounts:detail", args=[pk])),
        ("get", reverse("accounts:edit", args=[pk])),
        ("post", reverse("accounts:edit", args=[pk])),
        ("get", reverse("accounts:contact_create", args=[pk])),
        ("post", reverse("accounts:contact_create", args=[pk])),
        ("get", reverse("accounts:contact_edit", args=[pk, contact.pk])),
        ("post", reverse("accounts:contact_edit", args=[pk, contact.pk])),
        ("post", reverse("accounts:team_add", args=[pk])),
        ("post", reverse("accounts:team_remove", args=[pk, member.pk])),
        ("get", reverse("accounts:competitor_create", args=[pk])),
        ("post", reverse("accounts:competitor_create", args=[pk])),
        ("get", reverse("accounts:competitor_edit", args=[pk, competitor.pk])),
        ("post", reverse("accounts:competitor_edit", args=[pk, competitor.pk])),
        ("post", reverse("accounts:competitor_remove", args=[pk, competitor.pk])),
        ("get", reverse("accounts:merge", args=[pk])),
        ("get", reverse("accounts:merge_confirm", args=[pk, pk])),
        ("post", reverse("accounts:merge_confirm", args=[pk, pk])),
        ("get", reverse("accounts:contact_merge", args=[pk, contact.pk])),
        ("get", reverse("accounts:contact_merge_confirm", args=[pk, contact.pk, contact.pk])),
        ("post", reverse("accounts:contact_merge_confirm", args=[pk, contact.pk, contact.pk])),
        ("get", reverse("scoring:account_grade", args=[pk])),
        ("get", reverse("scoring:account_assessment", args=[pk])),
        ("post", reverse("scoring:account_assessment", args=[pk])),
        ("get", reverse("scoring:account_grade_pin", args=[pk])),
        ("post", reverse("scoring:account_grade_pin", args=[pk])),
        ("post", reverse("scoring:account_grade_unpin", args=[pk])),
    ]


@pytest.mark.parametrize("outsider", ["carol", "charlie", "other_manager"])
def test_every_account_page_and_form_answers_404_to_those_who_cannot_see_it(
    personas, login, outsider
):
    account = personas.account
    contact = ContactFactory(account=account)
    competitor = CompetitorFactory(account=account)
    member = AccountTeamMember.objects.get(account=account, user=personas.bob)
    client = login(getattr(personas, outsider))
    before = (Contact.objects.count(), account.competitors.count(), account.team_members.count())
    for method, url in account_urls(account, contact, competitor, member):
        response = getattr(client, method)(url, {"name": "Hijack", "user": personas.carol.pk})
        assert response.status_code == 404, (method, url)
        # The 404 page never names the account it hides.
        assert "Alice" not in response.content.decode()
    account.refresh_from_db()
    assert account.name == "Alice's Customer Co"
    after = (Contact.objects.count(), account.competitors.count(), account.team_members.count())
    assert after == before


@pytest.mark.parametrize("insider", ["alice", "bob", "manager", "admin"])
def test_those_who_can_see_an_account_can_open_its_pages(personas, login, insider):
    account = personas.account
    contact = ContactFactory(account=account)
    competitor = CompetitorFactory(account=account)
    client = login(getattr(personas, insider))
    for url in [
        reverse("accounts:detail", args=[account.pk]),
        reverse("accounts:edit", args=[account.pk]),
        reverse("accounts:contact_create", args=[account.pk]),
        reverse("accounts:contact_edit", args=[account.pk, contact.pk]),
        reverse("accounts:competitor_edit", args=[account.pk, competitor.pk]),
        reverse("scoring:account_grade", args=[account.pk]),
        reverse("scoring:account_assessment", args=[account.pk]),
    ]:
        assert client.get(url).status_code == 200, url


def test_a_contact_of_another_account_is_404_under_this_accounts_url(personas, login):
    other = ContactFactory(account=personas.charlies_account)
    client = login(personas.alice)
    url = reverse("accounts:contact_edit", args=[personas.account.pk, other.pk])
    assert client.get(url).status_code == 404


def test_the_list_shows_only_visible_accounts(personas, login):
    response = login(personas.carol).get(reverse("accounts:list"))
    assert response.status_code == 200
    assert "Alice's Customer Co" not in response.content.decode()
    response = login(personas.bob).get(reverse("accounts:list"))
    assert "Alice&#x27;s Customer Co" in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/", "/accounts/", "/accounts/new/", "/accounts/1/", "/admin/", "/i18n/setlang/"]
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, url):
    response = client.get(url)
    if url == "/i18n/setlang/":
        # The language switch works before login; it redirects back, revealing nothing.
        assert response.status_code in (302, 405)
        return
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_login_page_and_health_check_are_open(client, db):
    assert client.get("/login/").status_code == 200
    health = client.get("/healthz/")
    assert health.status_code == 200 and health.json()["status"] == "ok"
