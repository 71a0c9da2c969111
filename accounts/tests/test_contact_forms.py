import pytest
from django.urls import reverse

from accounts.models import Contact
from accounts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def contact_data(**overrides):
    data = {
        "name": "王芳",
        "title": "总经理",
        "buying_role": "decider",
        "influence": "high",
        "attitude": "supporter",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_adding_a_decider_fills_the_map_and_clears_the_warning(personas, login):
    client = login(personas.alice)
    detail = reverse("accounts:detail", args=[personas.account.pk])
    flags = {f.code for f in client.get(detail).context["center"].flags}
    assert "no_decider" in flags
    response = client.post(
        reverse("accounts:contact_create", args=[personas.account.pk]), contact_data()
    )
    assert response.status_code == 302
    center = client.get(detail).context["center"]
    assert [c.name for c in center.by_role["decider"]] == ["王芳"]
    assert "no_decider" not in {f.code for f in center.flags}


def test_the_add_link_of_an_empty_role_preselects_that_role(personas, login):
    url = reverse("accounts:contact_create", args=[personas.account.pk]) + "?role=evaluator"
    form = login(personas.alice).get(url).context["form"]
    assert form["buying_role"].value() == "evaluator"


def test_reports_to_offers_only_this_accounts_contacts(personas, login):
    mine = ContactFactory(account=personas.account)
    theirs = ContactFactory(account=personas.charlies_account)
    url = reverse("accounts:contact_create", args=[personas.account.pk])
    client = login(personas.alice)
    choices = client.get(url).context["form"].fields["reports_to"].queryset
    assert list(choices) == [mine]
    response = client.post(url, contact_data(reports_to=theirs.pk))
    assert "reports_to" in response.context["form"].errors
    assert not Contact.objects.filter(name="王芳").exists()


def test_a_loop_in_the_reporting_line_is_refused(personas, login):
    boss = ContactFactory(account=personas.account, name="Boss")
    deputy = ContactFactory(account=personas.account, name="Deputy", reports_to=boss)
    url = reverse("accounts:contact_edit", args=[personas.account.pk, boss.pk])
    response = login(personas.alice).post(
        url, contact_data(name="Boss", reports_to=deputy.pk, version=boss.version)
    )
    assert response.status_code == 200
    assert "loop" in str(response.context["form"].errors["reports_to"])
    boss.refresh_from_db()
    assert boss.reports_to is None


def test_bad_email_is_refused_with_the_field_named_and_input_kept(personas, login):
    url = reverse("accounts:contact_create", args=[personas.account.pk])
    response = login(personas.alice).post(
        url, contact_data(email="wang@", pressures="Budget cut by 20% this year")
    )
    assert list(response.context["form"].errors) == ["email"]
    assert "Budget cut by 20% this year" in response.content.decode()


def test_edit_contact_from_a_stale_tab_is_refused(personas, login):
    contact = ContactFactory(account=personas.account, name="Li")
    url = reverse("accounts:contact_edit", args=[personas.account.pk, contact.pk])
    opened = contact.version
    login(personas.bob).post(url, contact_data(name="Li (Bob)", version=opened))
    response = login(personas.alice).post(url, contact_data(name="Li (Alice)", version=opened))
    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.name == "Li (Bob)"


def test_marking_a_contact_as_left_keeps_them_but_out_of_the_map(personas, login):
    contact = ContactFactory(account=personas.account, name="Gone", buying_role="decider")
    url = reverse("accounts:contact_edit", args=[personas.account.pk, contact.pk])
    client = login(personas.alice)
    data = contact_data(name="Gone", version=contact.version)
    del data["is_active"]
    client.post(url, data)
    response = client.get(reverse("accounts:detail", args=[personas.account.pk]))
    assert response.context["center"].by_role["decider"] == []
    assert "Gone" in response.content.decode()


def test_detail_page_queries_do_not_grow_with_contacts(
    personas, login, django_assert_max_num_queries
):
    boss = ContactFactory(account=personas.account, buying_role="decider")
    for _ in range(30):
        ContactFactory(account=personas.account, reports_to=boss, relationship_owner=personas.bob)
    client = login(personas.alice)
    # 14 for the page itself, 2 for the sections of issue 13's apps that read something
    # even when empty (the plan, the complaints, the review, the money, the group:
    # keyaccounts.sections), and 9 for the next best actions (scoring.advice: the table
    # and its inputs, the contacts, one row of facts, planned visits, the deals and their
    # criteria), each a constant number.
    with django_assert_max_num_queries(25):
        assert client.get(reverse("accounts:detail", args=[personas.account.pk])).status_code == 200
