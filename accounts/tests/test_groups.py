"""Group customers (集团客户): the parent company, the cycle rule in every path that sets
it (service, form, merge), the purge letting subsidiaries go, and the account list's
`group` filter."""

import pytest
from django.urls import reverse

from accounts.groups import ancestor_ids, descendant_ids, subtree
from accounts.models import Account
from accounts.services import account_create, account_delete, account_merge, account_update
from accounts.tests.factories import AccountFactory
from keyaccounts.exceptions import ApplicationError
from keyaccounts.recyclebin.services import purge_expired

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(personas):
    """alice's account is the top; two subsidiaries under it, one more under the first."""
    top = personas.account
    sub1 = AccountFactory(name="Alice Sub One", owner=personas.alice, parent=top)
    sub2 = AccountFactory(name="Alice Sub Two", owner=personas.alice, parent=top)
    grandchild = AccountFactory(name="Alice Grandchild", owner=personas.alice, parent=sub1)
    return top, sub1, sub2, grandchild


def test_the_tree_reads_ancestors_and_descendants_at_any_depth(group):
    top, sub1, sub2, grandchild = group
    assert ancestor_ids(grandchild.pk) == [sub1.pk, top.pk]
    assert ancestor_ids(top.pk) == []
    assert descendant_ids(top.pk) == {sub1.pk, sub2.pk, grandchild.pk}
    nodes = subtree(top.pk)
    assert [(n.id, n.depth) for n in nodes] == [
        (top.pk, 0),
        (sub1.pk, 1),
        (grandchild.pk, 2),
        (sub2.pk, 1),
    ]


def test_create_and_update_take_a_parent(personas):
    child = account_create(
        by=personas.alice, name="New Sub", industry="manufacturing", parent=personas.account
    )
    assert child.parent == personas.account
    account_update(account=child, by=personas.alice, parent=None)
    child.refresh_from_db()
    assert child.parent is None
    assert child.history.count() >= 2


@pytest.mark.parametrize("which", ["itself", "child", "grandchild"])
def test_a_cycle_is_refused_with_the_reason(personas, group, which):
    top, sub1, _sub2, grandchild = group
    parent = {"itself": top, "child": sub1, "grandchild": grandchild}[which]
    with pytest.raises(ApplicationError) as refused:
        account_update(account=Account.objects.get(pk=top.pk), by=personas.alice, parent=parent)
    assert refused.value.code == "parent_not_allowed"
    if which == "itself":
        assert "its own parent" in refused.value.message
    else:
        assert f"{parent.name} is a subsidiary of {top.name}" in refused.value.message
        assert "cannot belong to its own subsidiary" in refused.value.message
    top.refresh_from_db()
    assert top.parent_id is None


def test_a_hidden_parent_is_refused_as_an_unknown_one_and_a_binned_one_with_a_reason(personas):
    mine = AccountFactory(owner=personas.alice)
    with pytest.raises(ApplicationError) as hidden:
        account_update(account=mine, by=personas.alice, parent=personas.charlies_account)
    unknown = Account(pk=10**9)
    with pytest.raises(ApplicationError) as missing:
        account_update(account=Account.objects.get(pk=mine.pk), by=personas.alice, parent=unknown)
    assert hidden.value.message == missing.value.message
    assert "Charlie" not in hidden.value.message

    binned = AccountFactory(owner=personas.alice, name="Binned Parent Co")
    account_delete(account=binned, by=personas.alice)
    with pytest.raises(ApplicationError) as in_bin:
        account_update(
            account=Account.objects.get(pk=mine.pk),
            by=personas.alice,
            parent=Account.all_objects.get(pk=binned.pk),
        )
    assert "Binned Parent Co is in the recycle bin" in in_bin.value.message


def test_a_parent_the_user_cannot_see_stays_when_they_edit_the_subsidiary(personas):
    """Seeing a subsidiary does not need its parent: an edit leaves the parent alone."""
    sub = AccountFactory(owner=personas.alice, parent=personas.charlies_account)
    account_update(account=sub, by=personas.alice, notes="edited")
    sub.refresh_from_db()
    assert sub.parent_id == personas.charlies_account.pk and sub.notes == "edited"


def test_the_form_shows_the_cycle_beside_the_parent_field(personas, group, login):
    top, _sub1, _sub2, grandchild = group
    client = login(personas.alice)
    page = client.get(reverse("accounts:edit", args=[top.pk]))
    assert 'name="parent"' in page.content.decode()
    data = {
        "name": top.name,
        "industry": top.industry,
        "status": top.status,
        "credit_rating": top.credit_rating,
        "region": top.region,
        "parent": str(grandchild.pk),
        "version": top.version,
    }
    response = client.post(reverse("accounts:edit", args=[top.pk]), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "parent" in errors
    assert "cannot belong to its own subsidiary" in errors["parent"][0]
    top.refresh_from_db()
    assert top.parent_id is None


def test_the_form_leaves_out_a_parent_the_user_cannot_see(personas, login):
    sub = AccountFactory(owner=personas.alice, parent=personas.charlies_account)
    page = login(personas.alice).get(reverse("accounts:edit", args=[sub.pk]))
    html = page.content.decode()
    assert 'name="parent"' not in html
    assert "Charlie" not in html


def test_the_merge_form_does_not_name_a_parent_the_manager_cannot_see(personas, login):
    one = AccountFactory(owner=personas.alice, name="Twin Co", parent=personas.charlies_account)
    two = AccountFactory(owner=personas.alice, name="Twin Co Ltd")
    page = login(personas.manager).get(reverse("accounts:merge_confirm", args=[two.pk, one.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert personas.charlies_account.name not in html
    assert "a company you cannot see" in html


def test_a_merge_moves_the_subsidiaries_to_the_survivor(personas, group):
    top, sub1, sub2, _grandchild = group
    twin = AccountFactory(name="Alice Top Twin", owner=personas.alice)
    twin_sub = AccountFactory(name="Twin's Sub", owner=personas.alice, parent=twin)
    account_merge(survivor=top, merged=twin, by=personas.manager, values={})
    twin_sub.refresh_from_db()
    assert twin_sub.parent_id == top.pk
    assert twin_sub.history.first().parent_id == top.pk  # an entry of its own
    assert descendant_ids(top.pk) >= {sub1.pk, sub2.pk, twin_sub.pk}


def test_a_merge_that_would_make_a_cycle_is_refused(personas, group):
    top, sub1, _sub2, _grandchild = group
    # sub1 survives, top is merged into it: sub1's parent would be itself.
    with pytest.raises(ApplicationError) as refused:
        account_merge(survivor=sub1, merged=top, by=personas.manager, values={})
    assert refused.value.code == "parent_not_allowed"
    # Choosing top's parent (none) for the survivor makes it the group's top.
    account_merge(survivor=sub1, merged=top, by=personas.manager, values={"parent": None})
    assert Account.objects.filter(parent=sub1).count() == 2  # its own child and top's other


def test_the_purge_lets_subsidiaries_go_before_removing_their_parent(personas, group):
    top, sub1, sub2, _grandchild = group
    parent = AccountFactory(owner=personas.alice, name="Doomed Parent")
    sub = AccountFactory(owner=personas.alice, parent=parent)
    account_delete(account=parent, by=personas.alice)
    sub.refresh_from_db()
    assert sub.parent_id == parent.pk  # in the bin, still its parent
    version = sub.version
    assert purge_expired(days=0) == 1
    sub.refresh_from_db()
    assert sub.parent_id is None and sub.version == version + 1
    assert not Account.all_objects.filter(pk=parent.pk).exists()


def test_the_account_list_filters_by_group(personas, group, login):
    top, sub1, sub2, grandchild = group
    hidden = AccountFactory(owner=personas.charlie, parent=sub1, name="Hidden Sub")
    AccountFactory(owner=personas.alice, name="Outside")
    client = login(personas.alice)
    response = client.get(reverse("accounts:list"), {"group": sub1.pk})
    names = {account.name for account in response.context["page"].object_list}
    assert names == {sub1.name, grandchild.name}
    response = client.get(reverse("accounts:list"), {"group": top.pk})
    names = {account.name for account in response.context["page"].object_list}
    assert names == {top.name, sub1.name, sub2.name, grandchild.name}
    assert hidden.name not in response.content.decode()
    # Another team's account as the group: a field error, the filter left out.
    response = client.get(reverse("accounts:list"), {"group": personas.charlies_account.pk})
    assert response.status_code == 200
    assert "group" in response.context["filter"].form.errors


def test_the_api_filters_by_group(personas, group, api):
    top, sub1, _sub2, grandchild = group
    response = api(personas.alice).get("/api/v1/accounts/", {"group": sub1.pk})
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {sub1.pk, grandchild.pk}


def test_the_demo_makes_groups_rep1_sees_one_subsidiary_of_which_is_hidden(client):
    import io

    from django.core.management import call_command

    from accounts.group_tree import group_tree
    from accounts.models import User

    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "group customers" in out.getvalue()
    rep1 = User.objects.get(username="rep1")
    top = Account.objects.filter(owner=rep1, subsidiaries__isnull=False).distinct().get()
    group = group_tree(user=rep1, account=top)
    assert len(group.rows) == 4 and group.hidden_count == 1
    assert any(not row.account.has_decider for row in group.rows[1:])
    before = list(Account.objects.values_list("pk", "parent_id", "version").order_by("pk"))
    call_command("seed_demo", stdout=io.StringIO())
    assert list(Account.objects.values_list("pk", "parent_id", "version").order_by("pk")) == before
    client.force_login(rep1)
    assert client.get(reverse("scoring:group", args=[top.pk])).status_code == 200


def test_the_admin_picks_the_parent_by_autocomplete_and_refuses_a_cycle(personas, group, login):
    from django.contrib import admin

    top, _sub1, _sub2, grandchild = group
    page = login(personas.admin).get(reverse("admin:accounts_account_change", args=[top.pk]))
    assert page.status_code == 200
    assert 'name="parent"' in page.content.decode()
    assert 'data-field-name="parent"' in page.content.decode()  # autocomplete, no options
    model_admin = admin.site._registry[Account]
    form = model_admin.get_form(page.wsgi_request, top)(instance=top)
    form.cleaned_data = {"parent": grandchild}
    with pytest.raises(Exception, match="cannot belong to its own subsidiary"):
        form.clean_parent()
