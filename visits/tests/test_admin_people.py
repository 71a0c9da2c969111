"""The admin's visit and review forms keep the record's versions as the services do: who
was met and who went are part of the record, so an admin edit that changes only them is
a new version (the changes feed tells sync clients), with one history entry that holds
them, and a new record's "created" entry holds the people it was saved with."""

import datetime
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import ContactFactory
from visits.models import PlannedAttendance, Visit
from visits.reviews.models import ReviewMeeting
from visits.tests.factories import PlannedVisitFactory

pytestmark = pytest.mark.django_db


class _Form(HTMLParser):
    """The values a browser would send for the page's main form (`id` of the form)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, {}
        self.select = self.textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button", "file"}:
            if a.get("type") in {"checkbox", "radio"}:
                if "checked" in a:
                    self.data.setdefault(name, []).append(a.get("value", "on"))
            else:
                self.data.setdefault(name, []).append(a.get("value") or "")
        elif tag == "select" and name:
            self.select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self.select and "selected" in a:
            self.data[self.select].append(a.get("value") or "")
        elif tag == "textarea" and name:
            self.textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.inside = False

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][0] += data


def form_of(page, form_id: str) -> dict:
    parser = _Form(form_id)
    parser.feed(page.content.decode())
    # Django's admin prefixes a textarea's content with a newline it strips again.
    return {k: v[0].lstrip("\n") if len(v) == 1 else v for k, v in parser.data.items()}


def change(client, model_name: str, obj, app: str = "visits", **values):
    """Open `obj`'s admin change form, set `values` (a many-to-many field: a list of
    ids) and save it; the response must be the redirect of a saved form."""
    url = reverse(f"admin:{app}_{model_name}_change", args=[obj.pk])
    data = form_of(client.get(url), f"{model_name}_form")
    for name, value in values.items():
        data[name] = [str(v) for v in value] if isinstance(value, list) else value
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]


def entries(record) -> list:
    return list(type(record).history.filter(id=record.pk).order_by("history_id"))


def people(entry, name: str) -> set:
    """The ids of the people `entry` (a history entry) holds in `name`."""
    column = {"contacts": "contact_id", "attendees": "user_id"}[name]
    return set(getattr(entry, name).values_list(column, flat=True))


@pytest.fixture
def planned(personas):
    contact = ContactFactory(account=personas.account)
    # To the second: the admin's form sends the time in seconds.
    when = (timezone.now() + datetime.timedelta(days=1)).replace(microsecond=0)
    visit = PlannedVisitFactory(account=personas.account, owner=personas.alice, planned_at=when)
    visit.contacts.set([contact])
    return Visit.objects.get(pk=visit.pk)


def test_changing_only_who_goes_is_a_new_version_with_one_entry(personas, login, planned):
    before = entries(planned)
    change(login(personas.admin), "visit", planned, attendees=[personas.bob.pk])

    visit = Visit.objects.get(pk=planned.pk)
    assert set(visit.attendees.values_list("pk", flat=True)) == {personas.bob.pk}
    assert visit.version == planned.version + 1
    assert visit.change_seq > planned.change_seq
    new = entries(visit)[len(before) :]
    assert len(new) == 1
    assert new[0].version == visit.version
    assert people(new[0], "attendees") == {personas.bob.pk}
    # Bob's "planned visits I go to" follow the admin's edit too.
    assert PlannedAttendance.objects.filter(visit=visit, user=personas.bob).exists()


def test_a_field_and_who_goes_changed_together_make_one_version(personas, login, planned):
    before = entries(planned)
    change(login(personas.admin), "visit", planned, purpose="Demo", attendees=[personas.bob.pk])

    visit = Visit.objects.get(pk=planned.pk)
    assert visit.purpose == "Demo"
    assert visit.version == planned.version + 1
    new = entries(visit)[len(before) :]
    assert len(new) == 1
    assert (new[0].purpose, new[0].version) == ("Demo", visit.version)
    assert people(new[0], "attendees") == {personas.bob.pk}


def test_saving_the_form_unchanged_writes_nothing(personas, login, planned):
    before = entries(planned)
    change(login(personas.admin), "visit", planned)

    visit = Visit.objects.get(pk=planned.pk)
    assert (visit.version, visit.change_seq) == (planned.version, planned.change_seq)
    assert len(entries(visit)) == len(before)


def test_a_visit_added_in_the_admin_is_created_with_its_people(personas, login):
    client = login(personas.admin)
    contact = ContactFactory(account=personas.account)
    url = reverse("admin:visits_visit_add")
    data = form_of(client.get(url), "visit_form")
    when = timezone.localtime(timezone.now() + datetime.timedelta(days=2))
    data.update(
        account=str(personas.account.pk),
        owner=str(personas.alice.pk),
        status="planned",
        method="in_person",
        planned_at_0=when.date().isoformat(),
        planned_at_1=when.strftime("%H:%M:%S"),
        contacts=[str(contact.pk)],
        attendees=[str(personas.bob.pk)],
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]

    visit = Visit.objects.get(account=personas.account)
    [created] = entries(visit)
    assert created.history_type == "+"
    assert people(created, "contacts") == {contact.pk}
    assert people(created, "attendees") == {personas.bob.pk}


def test_changing_only_a_reviews_attendees_is_a_new_version(personas, login):
    from visits.reviews import services as reviews

    review = reviews.review_schedule(
        by=personas.alice,
        account=personas.account,
        scheduled_for=timezone.now() + datetime.timedelta(days=3),
    )
    review = ReviewMeeting.objects.get(pk=review.pk)
    before = entries(review)
    change(login(personas.admin), "reviewmeeting", review, "reviews", attendees=[personas.bob.pk])

    after = ReviewMeeting.objects.get(pk=review.pk)
    assert set(after.attendees.values_list("pk", flat=True)) == {personas.bob.pk}
    assert after.version == review.version + 1
    assert after.change_seq > review.change_seq
    new = entries(after)[len(before) :]
    assert len(new) == 1
    assert people(new[0], "attendees") == {personas.bob.pk}


def test_a_field_and_who_was_met_changed_together_leave_only_the_new_people(
    personas, login, planned
):
    """The save writes its entry while the old contacts are still set: the entry then
    holds the contacts as they are after the form's save, not both."""
    [old] = planned.contacts.all()
    new_contact = ContactFactory(account=personas.account)
    before = entries(planned)
    change(login(personas.admin), "visit", planned, purpose="Demo", contacts=[new_contact.pk])

    visit = Visit.objects.get(pk=planned.pk)
    [entry] = entries(visit)[len(before) :]
    assert people(entry, "contacts") == {new_contact.pk}
    # The entry before it still says whom the visit met then.
    assert people(entries(visit)[len(before) - 1], "contacts") == {old.pk}
