"""The pages: the credit code on the account form and page, the duplicate warning with
its "save anyway" checkbox, and the merge pages managers use."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account, Contact
from accounts.services import account_delete
from accounts.tests.factories import AccountFactory, ContactFactory
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db

VALID_CODE = "91350100M000100Y43"
WRONG_CHECK = "91350100M000100Y44"


def account_data(**overrides):
    return {
        "name": "华东精密制造",
        "industry": "manufacturing",
        "status": "prospect",
        "credit_rating": "AA",
        **overrides,
    }


def contact_data(**overrides):
    return {
        "name": "王伟",
        "buying_role": "decider",
        "influence": "high",
        "attitude": "supporter",
        "is_active": "on",
        **overrides,
    }


# --- the credit code -----------------------------------------------------------------


def test_the_account_form_takes_a_credit_code_in_the_identity_section(personas, login):
    response = login(personas.alice).get(reverse("accounts:create"))
    identity_title, identity = next(iter(response.context["form"].sections()))
    assert str(identity_title) == "Identity"
    assert "credit_code" in [field.name for field in identity]


def test_a_wrong_check_character_is_shown_beside_the_field_and_nothing_is_saved(personas, login):
    response = login(personas.alice).post(
        reverse("accounts:create"), account_data(credit_code=WRONG_CHECK)
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["credit_code"]
    assert "The check character (the last) does not match" in response.content.decode()
    assert not Account.objects.filter(name="华东精密制造").exists()


def test_a_lower_case_credit_code_is_saved_in_capitals_and_shown_on_the_page(personas, login):
    client = login(personas.alice)
    client.post(reverse("accounts:create"), account_data(credit_code=VALID_CODE.lower()))
    account = Account.objects.get(name="华东精密制造")
    assert account.credit_code == VALID_CODE
    page = client.get(account.get_absolute_url()).content.decode()
    assert "Unified social credit code" in page
    assert f"<code>{VALID_CODE}</code>" in page


def test_a_credit_code_in_the_recycle_bin_is_refused_on_the_form_linking_the_bin(personas, login):
    """Whoever may restore it is led to it, with no "save anyway" (a code is one
    company's); anyone else is told beside the field, as for any code taken."""
    held = AccountFactory(name="Fuzhou Optics", owner=personas.alice, credit_code=VALID_CODE)
    account_delete(account=held, by=personas.alice)
    response = login(personas.alice).post(
        reverse("accounts:create"), account_data(credit_code=VALID_CODE, confirm_duplicate="on")
    )
    page = response.content.decode()
    assert "The account with this unified social credit code is in the recycle bin." in page
    assert '<a href="/recycle-bin/?q=Fuzhou+Optics&amp;type=accounts.account">' in page
    assert "Save anyway" not in page
    other = login(personas.charlie).post(
        reverse("accounts:create"), account_data(credit_code=VALID_CODE)
    )
    assert "already exists" in other.context["form"].errors["credit_code"][0]
    assert not Account.objects.filter(name="华东精密制造").exists()


# --- the duplicate warning -------------------------------------------------------------


def test_a_likely_duplicate_is_shown_with_a_link_and_the_input_is_kept(personas, login):
    response = login(personas.alice).post(
        reverse("accounts:create"),
        account_data(name="ALICE’S CUSTOMER CO., LTD.", notes="Met at the Canton fair."),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Possible duplicate: nothing was saved yet." in page
    assert f'<a href="{personas.account.get_absolute_url()}">Alice&#x27;s Customer Co</a>' in page
    assert "Save anyway: this is a different company" in page
    assert "Met at the Canton fair." in page
    assert Account.objects.count() == 2


def test_save_anyway_creates_the_account(personas, login):
    response = login(personas.alice).post(
        reverse("accounts:create"),
        account_data(name="Alice's Customer Co., Ltd.", confirm_duplicate="on"),
    )
    created = Account.objects.get(name="Alice's Customer Co., Ltd.")
    assert response.status_code == 302
    assert response["Location"] == created.get_absolute_url()


def test_a_name_in_the_recycle_bin_leads_to_the_bin_where_it_is_restored(personas, login):
    """The deleted account made again: the warning links to the bin's page listing it
    (with its Restore button), keeps the input, and saving anyway still works."""
    account_delete(account=personas.account, by=personas.alice)
    client = login(personas.alice)
    response = client.post(
        reverse("accounts:create"),
        account_data(name="Alice's Customer Co., Ltd.", notes="Met at the Canton fair."),
    )
    page = response.content.decode()
    assert "An account with this name is in the recycle bin." in page
    assert "in the recycle bin, yours to restore" in page
    assert "Met at the Canton fair." in page
    link = "/recycle-bin/?q=Alice%27s+Customer+Co&amp;type=accounts.account"
    assert f'<a href="{link}">Alice&#x27;s Customer Co</a>' in page
    bin_page = client.get(link.replace("&amp;", "&"))
    [deletion] = bin_page.context["page"].object_list
    assert deletion.object_id == personas.account.pk
    assert reverse("recyclebin:restore", args=[deletion.pk]) in bin_page.content.decode()
    client.post(
        reverse("accounts:create"),
        account_data(name="Alice's Customer Co., Ltd.", confirm_duplicate="on"),
    )
    assert Account.objects.filter(name="Alice's Customer Co., Ltd.").exists()


def test_an_account_one_cannot_see_is_not_named_or_linked(personas, login):
    response = login(personas.alice).post(
        reverse("accounts:create"), account_data(name="Charlie's Customer Co., Ltd.")
    )
    page = response.content.decode()
    assert "An account with this name already exists that you cannot see" in page
    assert personas.charlies_account.get_absolute_url() not in page
    assert "Save anyway: this is a different company" in page


def test_a_visible_same_credit_code_is_linked_without_a_save_anyway(personas, login):
    other = AccountFactory(name="Fuzhou Optics", owner=personas.alice, credit_code=VALID_CODE)
    response = login(personas.alice).post(
        reverse("accounts:create"), account_data(credit_code=VALID_CODE, confirm_duplicate="on")
    )
    page = response.content.decode()
    assert f'<a href="{other.get_absolute_url()}">Fuzhou Optics</a>' in page
    assert "same credit code" in page
    assert "Save anyway" not in page
    assert not Account.objects.filter(name="华东精密制造").exists()


def test_renaming_an_account_into_a_duplicate_warns_on_the_edit_form(personas, login):
    other = AccountFactory(name="Ningbo Port Logistics", owner=personas.alice)
    url = reverse("accounts:edit", args=[other.pk])
    data = account_data(name="Alice's Customer Co", version=1)
    client = login(personas.alice)

    warned = client.post(url, data)
    saved = client.post(url, {**data, "confirm_duplicate": "on"})

    assert "Possible duplicate" in warned.content.decode()
    assert saved.status_code == 302
    other.refresh_from_db()
    assert other.name == "Alice's Customer Co"


def test_a_contact_with_the_same_mobile_number_warns_and_can_be_saved_anyway(personas, login):
    known = ContactFactory(account=personas.account, name="王伟", phone="13800138000")
    url = reverse("accounts:contact_create", args=[personas.account.pk])
    client = login(personas.bob)

    warned = client.post(url, contact_data(phone="+86 138-0013-8000"))
    saved = client.post(url, contact_data(phone="+86 138-0013-8000", confirm_duplicate="on"))

    page = warned.content.decode()
    assert f'<a href="{known.get_absolute_url()}">王伟</a>' in page
    assert "same phone number" in page
    assert "Save anyway: this is a different person" in page
    assert saved.status_code == 302
    assert Contact.objects.filter(account=personas.account).count() == 2


# --- merge pages ------------------------------------------------------------------------


@pytest.fixture
def twin(personas):
    return AccountFactory(name="Alice's Customer Co., Ltd.", owner=personas.alice, region="福建")


def test_a_manager_sees_the_merge_button_and_a_rep_does_not(personas, login):
    url = reverse("accounts:detail", args=[personas.account.pk])
    merge = reverse("accounts:merge", args=[personas.account.pk])
    assert merge in login(personas.manager).get(url).content.decode()
    assert merge not in login(personas.alice).get(url).content.decode()


def test_the_pick_page_suggests_the_likely_duplicates(personas, twin, login):
    AccountFactory(name="Unrelated Co", owner=personas.alice)
    response = login(personas.manager).get(reverse("accounts:merge", args=[personas.account.pk]))
    assert [a.pk for a in response.context["candidates"]] == [twin.pk]
    assert reverse("accounts:merge_confirm", args=[personas.account.pk, twin.pk]) in (
        response.content.decode()
    )


def test_the_pick_page_searches_the_visible_accounts(personas, twin, login):
    ningbo = AccountFactory(name="Ningbo Port Logistics", owner=personas.alice)
    client = login(personas.manager)
    found = client.get(reverse("accounts:merge", args=[personas.account.pk]), {"q": "ningbo"})
    hidden = client.get(reverse("accounts:merge", args=[personas.account.pk]), {"q": "charlie"})
    assert [a.pk for a in found.context["candidates"]] == [ningbo.pk]
    assert hidden.context["candidates"] == []


def test_the_merge_form_offers_a_radio_per_differing_field_defaulting_to_the_survivor(
    personas, twin, login
):
    response = login(personas.manager).get(
        reverse("accounts:merge_confirm", args=[personas.account.pk, twin.pk])
    )
    form = response.context["form"]
    assert set(form.fields) == {"name", "region"}  # industry, owner, … are the same
    assert form["region"].initial == "survivor"
    page = response.content.decode()
    assert "Alice&#x27;s Customer Co: East China" in page
    assert "Alice&#x27;s Customer Co., Ltd.: 福建" in page


def test_two_accounts_of_one_name_are_told_apart_by_number_and_owner(personas, login):
    """The usual duplicate has the same name twice: every choice says which one."""
    again = AccountFactory(name="Alice's Customer Co ", owner=personas.bob, region="福建")
    response = login(personas.manager).get(
        reverse("accounts:merge_confirm", args=[personas.account.pk, again.pk])
    )
    page = response.content.decode()
    kept, gone = (
        f"Alice&#x27;s Customer Co (#{personas.account.pk})",
        (f"Alice&#x27;s Customer Co (#{again.pk})"),
    )
    assert f"<h1>Merge {gone} into {kept}</h1>" in page
    assert f"{kept}: East China" in page and f"{gone}: 福建" in page
    assert f"</a> · {personas.alice}</dd>" in page and f"</a> · {personas.bob}</dd>" in page


def test_merging_on_the_page_keeps_the_chosen_values_and_redirects_to_the_survivor(
    personas, twin, login
):
    ContactFactory(account=twin, name="Li Na")
    client = login(personas.manager)
    response = client.post(
        reverse("accounts:merge_confirm", args=[personas.account.pk, twin.pk]),
        {"name": "survivor", "region": "merged"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == personas.account.get_absolute_url()
    page = response.content.decode()
    assert "was merged into Alice&#x27;s Customer Co" in page
    assert "Li Na" in page
    personas.account.refresh_from_db()
    assert personas.account.region == "福建"
    assert Account.all_objects.get(pk=twin.pk).merged_into_id == personas.account.pk


def test_a_rep_who_opens_the_merge_page_is_told_to_ask_a_manager(personas, twin, login):
    client = login(personas.alice)
    url = reverse("accounts:merge_confirm", args=[personas.account.pk, twin.pk])
    response = client.post(url, {"name": "survivor", "region": "merged"}, follow=True)
    assert "Only a manager can merge records" in response.content.decode()
    assert Account.objects.filter(pk=twin.pk).exists()


def test_merge_pages_of_an_account_one_cannot_see_answer_404(personas, login):
    client = login(personas.manager)
    hidden = personas.charlies_account.pk
    assert client.get(reverse("accounts:merge", args=[hidden])).status_code == 404
    assert (
        client.get(
            reverse("accounts:merge_confirm", args=[personas.account.pk, hidden])
        ).status_code
        == 404
    )


@pytest.mark.parametrize("method", ["get", "post"])
def test_merging_an_account_with_itself_is_refused_before_any_form(personas, login, method):
    """The form would offer a merge the service refuses: the pick page says why."""
    url = reverse("accounts:merge_confirm", args=[personas.account.pk, personas.account.pk])
    response = getattr(login(personas.manager), method)(url, {}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:merge", args=[personas.account.pk])
    assert "A record cannot be merged with itself: choose another one." in (
        response.content.decode()
    )
    assert Account.objects.get(pk=personas.account.pk).version == 1


def test_merging_a_contact_with_themselves_is_refused_before_any_form(personas, login):
    contact = ContactFactory(account=personas.account, name="王伟")
    args = [personas.account.pk, contact.pk]
    response = login(personas.manager).get(
        reverse("accounts:contact_merge_confirm", args=[*args, contact.pk]), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("accounts:contact_merge", args=args)
    assert "cannot be merged with itself" in response.content.decode()


def test_the_merge_pages_say_a_merge_is_not_undone_from_the_recycle_bin(personas, twin, login):
    """A merged record is not listed in the recycle bin (it keeps leading to the
    survivor): the pages say a merge cannot be undone, not that it goes to the bin."""
    client = login(personas.manager)
    pick = client.get(reverse("accounts:merge", args=[personas.account.pk])).content.decode()
    form = client.get(
        reverse("accounts:merge_confirm", args=[personas.account.pk, twin.pk])
    ).content.decode()
    for page in (pick, form):
        assert "A merge cannot be undone" in page
        assert "goes to the recycle bin" not in page
        assert "to the recycle bin</dt>" not in page


def test_merging_two_contacts_on_the_page(personas, login):
    keep = ContactFactory(account=personas.account, name="王伟", phone="13800138000")
    twice = ContactFactory(account=personas.account, name="Wang Wei", phone="+86 13800138000")
    visit = VisitFactory(account=personas.account)
    visit.contacts.set([twice])
    client = login(personas.manager)

    edit_page = client.get(keep.get_absolute_url()).content.decode()
    pick = client.get(reverse("accounts:contact_merge", args=[personas.account.pk, keep.pk]))
    response = client.post(
        reverse("accounts:contact_merge_confirm", args=[personas.account.pk, keep.pk, twice.pk]),
        {"name": "survivor", "phone": "survivor"},
    )

    assert reverse("accounts:contact_merge", args=[personas.account.pk, keep.pk]) in edit_page
    assert [c.pk for c in pick.context["candidates"]] == [twice.pk]
    assert response.status_code == 302
    assert response["Location"] == keep.get_absolute_url()
    assert list(visit.contacts.values_list("pk", flat=True)) == [keep.pk]
    assert Contact.all_objects.get(pk=twice.pk).merged_into_id == keep.pk


def test_the_pick_page_costs_the_same_queries_for_2_and_15_accounts(personas, login):
    client = login(personas.manager)
    url = reverse("accounts:merge", args=[personas.account.pk])

    def queries_listing(count):
        while Account.objects.filter(region="宁波").count() < count:
            AccountFactory(name="Ningbo Trading", owner=personas.carol, region="宁波")
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"q": "ningbo"})
        assert len(response.context["candidates"]) == count
        return len(captured)

    assert queries_listing(2) == queries_listing(15)


def test_the_warning_says_what_matched_in_the_readers_brackets(personas, login):
    """In Chinese, what matched stands in full-width brackets, as the text around it."""
    response = login(personas.alice).post(
        reverse("accounts:create"),
        account_data(name="Alice's Customer Co., Ltd."),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert "（名称相同）" in response.content.decode()


def test_a_contact_like_one_in_the_recycle_bin_leads_to_the_bin(personas, login):
    """The contact form names the deleted contact with the bin's page, keeps the input,
    and saving anyway still works."""
    from accounts.services import contact_delete

    gone = ContactFactory(account=personas.account, name="王伟", phone="", email="")
    contact_delete(contact=gone, by=personas.alice)
    url = reverse("accounts:contact_create", args=[personas.account.pk])
    client = login(personas.alice)
    page = client.post(url, contact_data(title="采购总监")).content.decode()
    assert "A contact of this account like this one is in the recycle bin." in page
    assert "in the recycle bin, yours to restore" in page
    assert 'value="采购总监"' in page
    link = "/recycle-bin/?q=%E7%8E%8B%E4%BC%9F&amp;type=accounts.contact"
    assert f'<a href="{link}">王伟</a>' in page
    [deletion] = client.get(link.replace("&amp;", "&")).context["page"].object_list
    assert deletion.object_id == gone.pk
    # Bob, on the team, may not restore what Alice deleted: told to ask, nothing to open.
    page = login(personas.bob).post(url, contact_data(title="采购总监")).content.decode()
    assert "Ask whoever deleted it or a manager to restore it" in page
    assert "ask whoever deleted it or a manager to restore it" in page  # the match's words
    assert "<li>王伟<span" in page and link not in page
    assert client.post(url, contact_data(confirm_duplicate="on")).status_code == 302
    assert Contact.objects.filter(account=personas.account, name="王伟").count() == 1
