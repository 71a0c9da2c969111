"""Double submits create one record (issue 8, "a system of record").

Each create form carries a one-time token (keyaccounts/formtokens.py): the form posted
twice — a double tap on a phone, a retry after a timeout — creates one account, contact,
visit, deal, development record or competitor, and the second answer shows the record
the first one created."""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, AccountCompetitor, Contact
from keyaccounts import formtokens
from keyaccounts.models import IdempotencyKey
from keyaccounts.pytest_plugin import in_threads
from opportunities.models import Opportunity, OpportunityCompetitor
from opportunities.tests.factories import OpportunityFactory, default_stages
from visits.forms import DATETIME_FORMAT
from visits.models import DevelopmentRecord, Visit

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'<input type="hidden" name="form_token" value="([0-9a-f]{32})">')


def _three_hours_ago() -> str:
    return timezone.localtime(timezone.now() - datetime.timedelta(hours=3)).strftime(
        DATETIME_FORMAT
    )


def _tomorrow() -> str:
    return timezone.localtime(timezone.now() + datetime.timedelta(days=1)).strftime(DATETIME_FORMAT)


@dataclass(frozen=True)
class CreateForm:
    name: str
    model: type
    url: Callable  # url(personas, deal): the create page
    data: Callable  # data(personas): a valid post
    invalid: dict  # what makes that post fail validation
    lands_on: Callable  # lands_on(record): where a repeat is sent
    message: str  # the repeat's message

    def __str__(self):
        return self.name


CREATE_FORMS = [
    CreateForm(
        name="account",
        model=Account,
        url=lambda p, deal: reverse("accounts:create"),
        data=lambda p: {
            "name": "华东精密制造",
            "industry": "manufacturing",
            "region": "华东",
            "status": "prospect",
            "credit_rating": "AA",
        },
        invalid={"name": ""},
        lands_on=lambda account: reverse("accounts:detail", args=[account.pk]),
        message="Already saved: this is the account you created.",
    ),
    CreateForm(
        name="contact",
        model=Contact,
        url=lambda p, deal: reverse("accounts:contact_create", args=[p.account.pk]),
        data=lambda p: {
            "name": "王芳",
            "title": "总经理",
            "buying_role": "decider",
            "influence": "high",
            "attitude": "supporter",
            "is_active": "on",
        },
        invalid={"name": ""},
        lands_on=lambda c: reverse("accounts:contact_edit", args=[c.account_id, c.pk]),
        message="Already saved: this is the contact you created.",
    ),
    CreateForm(
        name="visit",
        model=Visit,
        url=lambda p, deal: reverse("visits:create", args=[p.account.pk]),
        data=lambda p: {
            "occurred_at": _three_hours_ago(),
            "duration_minutes": "45",
            "method": "in_person",
            "place": "Their office",
            "talking_points": "Budget for next year",
            "customer_views": "Wants a pilot first",
            "customer_attitude": "supporter",
            "next_steps": "Send the pilot proposal",
            "follow_up_due": "",
        },
        invalid={"occurred_at": _tomorrow()},  # a recorded visit cannot be in the future
        lands_on=lambda visit: reverse("visits:detail", args=[visit.pk]),
        message="Already saved: this is the visit you created.",
    ),
    CreateForm(
        name="deal",
        model=Opportunity,
        url=lambda p, deal: reverse("opportunities:create", args=[p.account.pk]),
        data=lambda p: {
            "name": "MES phase 2",
            "kind": "expansion",
            "amount": "1280000",
            "currency": "CNY",
            "expected_close_date": "2030-06-30",
            "probability": "",
            "description": "Phase 2 covers the plants",
        },
        invalid={"amount": "-5"},
        lands_on=lambda deal: reverse("opportunities:detail", args=[deal.pk]),
        message="Already saved: this is the deal you created.",
    ),
    CreateForm(
        name="development record",
        model=DevelopmentRecord,
        url=lambda p, deal: reverse("visits:record_create", args=[p.account.pk]),
        data=lambda p: {
            "started_on": (timezone.localdate() - datetime.timedelta(days=30)).isoformat(),
            "result": "in_progress",
            "remarks": "Met the CIO",
        },
        invalid={"result": "failure", "summary": ""},  # a result needs its reason
        lands_on=lambda record: reverse("visits:record_detail", args=[record.pk]),
        message="Already saved: this is the development record you created.",
    ),
    CreateForm(
        name="account competitor",
        model=AccountCompetitor,
        url=lambda p, deal: reverse("accounts:competitor_create", args=[p.account.pk]),
        data=lambda p: {"name": "Rival Soft", "threat": "high", "strengths": "Local team"},
        invalid={"name": ""},
        lands_on=lambda c: reverse("accounts:detail", args=[c.account_id]) + "#competitors",
        message="Already saved: this is the competitor at the account you created.",
    ),
    CreateForm(
        name="deal competitor",
        model=OpportunityCompetitor,
        url=lambda p, deal: reverse("opportunities:competitor_create", args=[deal.pk]),
        data=lambda p: {"name": "Rival Soft", "threat": "high", "strengths": "Local team"},
        invalid={"name": ""},
        lands_on=lambda c: (
            reverse("opportunities:detail", args=[c.opportunity_id]) + "#competitors"
        ),
        message="Already saved: this is the competitor in the deal you created.",
    ),
]

each_form = pytest.mark.parametrize("form", CREATE_FORMS, ids=str)


@pytest.fixture
def deal(personas):
    default_stages()
    return OpportunityFactory(account=personas.account, name="Data centre")


def token_on(response) -> str:
    """The token the page rendered into its form (as the browser would send it)."""
    found = TOKEN.findall(response.content.decode())
    assert len(found) == 1, "the create form carries exactly one token"
    return found[0]


def messages_on(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@each_form
def test_posting_a_create_form_twice_creates_one_record_and_the_repeat_shows_it(
    personas, login, deal, form
):
    client = login(personas.alice)
    url = form.url(personas, deal)
    before = form.model.objects.count()
    data = {**form.data(personas), "form_token": token_on(client.get(url))}

    first = client.post(url, data, follow=True)  # its answer read: its message shown
    second = client.post(url, data, follow=True)

    assert first.redirect_chain, first.context["form"].errors
    assert form.model.objects.count() == before + 1
    record = form.model.objects.latest("pk")
    assert second.redirect_chain == [(form.lands_on(record), 302)]
    assert messages_on(second) == [form.message]
    assert form.message in second.content.decode()


@each_form
def test_a_post_refused_by_validation_keeps_its_token_and_the_corrected_post_creates_one(
    personas, login, deal, form
):
    client = login(personas.alice)
    url = form.url(personas, deal)
    before = form.model.objects.count()
    token = token_on(client.get(url))

    refused = client.post(url, {**form.data(personas), **form.invalid, "form_token": token})

    assert refused.status_code == 200 and refused.context["form"].errors
    assert form.model.objects.count() == before
    assert token_on(refused) == token  # the page shown again keeps the form's token
    assert not IdempotencyKey.objects.exists()  # the claim went with the failed write

    corrected = client.post(url, {**form.data(personas), "form_token": token})
    repeated = client.post(url, {**form.data(personas), "form_token": token})

    assert (corrected.status_code, repeated.status_code) == (302, 302)
    assert form.model.objects.count() == before + 1
    assert repeated["Location"] == form.lands_on(form.model.objects.latest("pk"))


def test_two_forms_opened_one_after_the_other_create_two_visits(personas, login):
    client = login(personas.alice)
    visit_form = CREATE_FORMS[2]
    url = visit_form.url(personas, None)
    first, second = token_on(client.get(url)), token_on(client.get(url))
    assert first != second

    for token in (first, second):
        client.post(url, {**visit_form.data(personas), "form_token": token})

    assert Visit.objects.count() == 2


def test_a_post_without_a_token_still_creates_as_older_pages_do(personas, login):
    client = login(personas.alice)
    visit_form = CREATE_FORMS[2]

    response = client.post(visit_form.url(personas, None), visit_form.data(personas))

    visit = Visit.objects.get()
    assert response["Location"] == visit.get_absolute_url()
    assert not IdempotencyKey.objects.exists()


def test_a_repeat_with_other_values_creates_nothing_and_says_they_were_not_saved(personas, login):
    client = login(personas.alice)
    visit_form = CREATE_FORMS[2]
    url = visit_form.url(personas, None)
    token = token_on(client.get(url))
    client.post(url, {**visit_form.data(personas), "form_token": token}, follow=True)

    again = client.post(
        url,
        {**visit_form.data(personas), "place": "Our showroom", "form_token": token},
        follow=True,
    )

    visit = Visit.objects.get()
    assert visit.place == "Their office"
    assert again.redirect_chain == [(visit.get_absolute_url(), 302)]
    assert messages_on(again) == [
        "This form was already saved, so what you changed in it afterwards was not: "
        "this is the visit it created. Edit it here."
    ]


def test_a_token_belongs_to_the_user_who_was_given_it(personas, login):
    visit_form = CREATE_FORMS[2]
    url = visit_form.url(personas, None)
    token = token_on(login(personas.alice).get(url))
    login(personas.alice).post(url, {**visit_form.data(personas), "form_token": token})

    response = login(personas.bob).post(url, {**visit_form.data(personas), "form_token": token})

    assert sorted(Visit.objects.values_list("owner__username", flat=True)) == ["alice", "bob"]
    assert response["Location"] == Visit.objects.get(owner=personas.bob).get_absolute_url()


def test_a_repeat_arriving_before_the_first_committed_still_creates_nothing(
    personas, login, monkeypatch
):
    """The repeat found no claim when it started (the first post had not committed), so
    it validated its form; its own claim then meets the first one's in the unique index,
    and it goes to the record the first one created."""
    client = login(personas.alice)
    visit_form = CREATE_FORMS[2]
    url = visit_form.url(personas, None)
    data = {**visit_form.data(personas), "form_token": token_on(client.get(url))}
    client.post(url, data, follow=True)
    monkeypatch.setattr(formtokens, "already_saved", lambda request, model: None)

    second = client.post(url, data, follow=True)

    visit = Visit.objects.get()
    assert second.redirect_chain == [(visit.get_absolute_url(), 302)]
    assert messages_on(second) == ["Already saved: this is the visit you created."]


def test_log_a_visit_from_my_week_leads_to_a_form_with_a_token(personas, login):
    client = login(personas.alice)
    assert 'action="/visits/new/"' in client.get(reverse("visits:my_week")).content.decode()

    form_page = client.get(reverse("visits:start"), {"account": personas.account.pk}, follow=True)

    assert form_page.redirect_chain[-1][0] == reverse("visits:create", args=[personas.account.pk])
    assert token_on(form_page)


def test_an_edit_form_carries_no_token(personas, login):
    url = reverse("accounts:edit", args=[personas.account.pk])
    assert 'name="form_token"' not in login(personas.alice).get(url).content.decode()


# --- PostgreSQL: two posts at once ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_posts_of_one_form_at_the_same_moment_create_one_visit(require_postgres, personas):
    visit_form = CREATE_FORMS[2]
    url = visit_form.url(personas, None)
    tabs = [Client(), Client()]
    for tab in tabs:
        tab.force_login(personas.alice)
    data = {**visit_form.data(personas), "form_token": token_on(tabs[0].get(url))}

    answers = in_threads(*(lambda tab=tab: tab.post(url, data) for tab in tabs))

    visit = Visit.objects.get()
    assert [answer.status_code for answer in answers] == [302, 302]
    assert {answer["Location"] for answer in answers} == {visit.get_absolute_url()}
    assert IdempotencyKey.objects.get().path == visit.get_absolute_url()
