"""The heat-map's links: "plan the visit" takes along whom the level needs (an active
sponsor or presales, the owner when someone else plans), and a person's page comes back to
the heat-map — at the first page when the link's place was lost, through a merge too."""

import re
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils.http import urlencode

from accounts.models import AccountTeamRole, Attitude, BuyingRole, Contact
from accounts.tests.factories import ContactFactory, TeamMemberFactory, UserFactory
from accounts.tests.test_contact_forms import contact_data
from scoring.services import rescore
from scoring.tests.builders import strong_soon_account

pytestmark = pytest.mark.django_db

URL = reverse("visits:heat_map")
LOST = "no longer fits it"


def plan_links(html, account):
    base = re.escape(reverse("visits:create", args=[account.pk]))
    return re.findall(rf'href="({base}[^"]*)"', html)


def test_plan_link_takes_an_active_sponsor_not_a_departed_one(personas, login):
    account = strong_soon_account(personas.alice)
    rescore([account.pk])
    decider = ContactFactory(account=account, buying_role=BuyingRole.DECIDER)
    gone = UserFactory(username="gone", sales_team=personas.east)  # lower id
    TeamMemberFactory(account=account, user=gone, role=AccountTeamRole.EXECUTIVE_SPONSOR)
    gone.is_active = False
    gone.save()
    sponsor = UserFactory(username="sponsor", sales_team=personas.east)
    TeamMemberFactory(account=account, user=sponsor, role=AccountTeamRole.EXECUTIVE_SPONSOR)
    client = login(personas.alice)
    links = plan_links(client.get(URL).content.decode(), account)
    plan = [link for link in links if f"contact={decider.pk}" in link][0].replace("&amp;", "&")
    form = client.get(plan).context["form"]
    # The docs: "our executive sponsor ... already on it as an attendee, so the visit as
    # planned meets the level". The form must pre-tick someone who can attend.
    assert f"attendee={sponsor.pk}" in plan, plan
    assert form["attendees"].value() == [sponsor.pk]


def test_plan_link_for_the_rep_level_takes_the_owner_when_someone_else_plans(personas, login):
    """The manager (or a teammate) plans the visit for the "user met by the rep" level:
    they own the visit, so without the account's owner along it meets nothing."""
    account = strong_soon_account(personas.alice)
    rescore([account.pk])
    user_contact = ContactFactory(account=account, buying_role=BuyingRole.USER)
    client = login(personas.manager)
    links = plan_links(client.get(URL).content.decode(), account)
    plan = [link for link in links if f"contact={user_contact.pk}" in link][0]
    assert f"attendee={personas.alice.pk}" in plan.replace("&amp;", "&"), plan


def test_back_from_a_lost_place_is_not_the_lost_place_again(personas, login):
    account = strong_soon_account(personas.alice)
    rescore([account.pk])
    decider = ContactFactory(account=account, name="Dai", buying_role=BuyingRole.DECIDER)
    client = login(personas.alice)
    page = client.get(URL, {"grade": "A", "after": "garbled"})
    html = page.content.decode()
    assert html.count(LOST) == 1
    edit = reverse("accounts:contact_edit", args=[account.pk, decider.pk])
    link = re.search(rf'href="({re.escape(edit)}[^"]*)"', html).group(1).replace("&amp;", "&")
    form = client.get(link)
    back = form.context["next"]
    saved = client.post(
        edit,
        contact_data(
            name="Dai",
            buying_role=BuyingRole.DECIDER,
            attitude=Attitude.SUPPORTER,
            version=decider.version,
            next=back,
        ),
    )
    assert saved.status_code == 302
    again = client.get(saved["Location"]).content.decode()
    # Saving a contact changed nothing about the list's place: coming back must not
    # say "the link's place no longer fits" a second time.
    assert LOST not in again, saved["Location"]


def test_next_survives_a_merged_contacts_redirect(personas, login):
    from accounts import services

    account = personas.account
    survivor = ContactFactory(account=account, name="Dai", buying_role=BuyingRole.DECIDER)
    merged = ContactFactory(account=account, name="Dai W", buying_role=BuyingRole.DECIDER)
    services.contact_merge(survivor=survivor, merged=merged, by=personas.manager, values={})
    client = login(personas.alice)
    back = f"{URL}?grade=A"
    edit = reverse("accounts:contact_edit", args=[account.pk, merged.pk])
    response = client.get(f"{edit}?next={quote(back)}")
    assert response.status_code == 302
    assert response["Location"] == f"{survivor.get_absolute_url()}?{urlencode({'next': back})}"


@pytest.mark.parametrize(
    "value", ["٣", "-1", "0", "１", "99999999999999999999", "999999999999999999", " 1", "1e3"]
)
def test_an_odd_attendee_value_is_left_out_not_a_failure(personas, login, value):
    client = login(personas.alice)
    url = reverse("visits:create", args=[personas.account.pk])
    response = client.get(url, {"status": "planned", "attendee": value})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "value",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        " javascript:alert(1)",
        'https:/"><script>alert(1)</script>',
        "http:evil.example",
    ],
)
def test_a_next_of_another_site_is_ignored_by_the_contact_form(personas, login, value):
    account = personas.account
    contact = ContactFactory(account=account, name="Dai")
    client = login(personas.alice)
    edit = reverse("accounts:contact_edit", args=[account.pk, contact.pk])
    shown = client.get(edit, {"next": value})
    assert shown.status_code == 200
    assert "<script>alert" not in shown.content.decode()
    data = contact_data(
        name="Dai",
        buying_role=BuyingRole.USER,
        attitude=Attitude.NEUTRAL,
        version=contact.version,
        next=value,
    )
    saved = client.post(edit, data)
    assert saved.status_code == 302
    assert saved["Location"] == account.get_absolute_url() + "#buying-center"


def test_next_is_kept_through_a_forms_errors_and_a_version_conflict(personas, login):
    account = personas.account
    contact = ContactFactory(account=account, name="Dai")
    client = login(personas.alice)
    back = f"{URL}?grade=A&q=%E5%8C%97"
    add = reverse("accounts:contact_create", args=[account.pk])
    bad = client.post(f"{add}?role=evaluator&next={quote(back)}", {"name": ""})
    assert bad.status_code == 200 and bad.context["next"] == back
    edit = reverse("accounts:contact_edit", args=[account.pk, contact.pk])
    data = contact_data(
        name="Dai",
        buying_role=BuyingRole.USER,
        attitude=Attitude.NEUTRAL,
        version=contact.version,
        next=back,
    )
    Contact.objects.filter(pk=contact.pk).update(version=contact.version + 1)
    conflict = client.post(edit, data)
    assert conflict.status_code == 200 and conflict.context["next"] == back
    html = conflict.content.decode()
    assert 'name="next" value="/relationships/?grade=A&amp;q=%E5%8C%97"' in html


def test_other_lists_say_a_lost_place_once_as_a_message(personas, login):
    client = login(personas.alice)
    for name in ("accounts:list", "visits:notifications", "visits:record_list"):
        html = client.get(reverse(name), {"after": "garbled"}).content.decode()
        assert html.count(LOST) == 1, name
