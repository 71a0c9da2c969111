"""The complaint pages: visibility (404 outside the rule), the list's scope and filters,
recording and the actions as forms, the account's and the dashboard's sections (each
number links to exactly the complaints behind it), constant query counts."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.pytest_plugin import assert_not_found_for
from visits.complaints import services
from visits.complaints.models import Complaint, ComplaintStatus

from .helpers import at
from .helpers import record as record_at

pytestmark = pytest.mark.django_db
LONG_AGO = at(2025, 1, 10)  # past every deadline, whatever day the tests run


def record(personas, **fields):
    fields.setdefault("received_at", LONG_AGO)
    return record_at(personas, **fields)


def ids_on(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-complaint="(\d+)"', html)}


def test_someone_outside_the_rule_gets_404_everywhere(personas, login):
    complaint = record(personas)
    client = login(personas.charlie)
    pk = complaint.pk
    assert_not_found_for(
        client,
        [
            ("get", f"/complaints/{pk}/", None),
            ("get", f"/complaints/{pk}/edit/", None),
            ("get", f"/complaints/{pk}/history/", None),
            ("get", f"/complaints/{pk}/delete/", None),
            ("post", f"/complaints/{pk}/respond/", {"respond-response": "x"}),
            ("post", f"/complaints/{pk}/resolve/", {"resolve-resolution": "x"}),
            ("post", f"/complaints/{pk}/close/", {"close-confirmation_note": "x"}),
            ("post", f"/complaints/{pk}/reopen/", {"reopen-reason": "x"}),
            ("post", f"/complaints/{pk}/assign/", {"assign-assignee": personas.charlie.pk}),
            ("get", f"/accounts/{personas.account.pk}/complaints/new/", None),
        ],
    )
    assert ids_on(client.get("/complaints/").content.decode()) == set()
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.OPEN


def test_the_list_shows_what_each_person_may_see(personas, login):
    mine = record(personas)
    theirs = record(personas, by=personas.charlie, account=personas.charlies_account)
    assert ids_on(login(personas.bob).get("/complaints/").content.decode()) == {mine.pk}
    assert ids_on(login(personas.manager).get("/complaints/").content.decode()) == {mine.pk}
    assert ids_on(login(personas.admin).get("/complaints/").content.decode()) == {
        mine.pk,
        theirs.pk,
    }


def test_recording_from_the_account_page_and_the_actions(personas, login):
    contact = ContactFactory(account=personas.account, name="Li Na")
    client = login(personas.bob)
    page = client.get(f"/accounts/{personas.account.pk}/")
    assert f"/accounts/{personas.account.pk}/complaints/new/" in page.content.decode()
    form = client.get(f"/accounts/{personas.account.pk}/complaints/new/")
    token = form.context["form_token"]
    response = client.post(
        f"/accounts/{personas.account.pk}/complaints/new/",
        {
            "subject": "Invoice wrong twice",
            "severity": "medium",
            "channel": "wechat",
            "contact": contact.pk,
            "received_at": "2025-01-10T10:00",
            "description": "Billed the old price.",
            "assignee": personas.bob.pk,
            "form_token": token,
        },
    )
    complaint = Complaint.objects.get(subject="Invoice wrong twice")
    assert response.status_code == 302 and response["Location"] == f"/complaints/{complaint.pk}/"
    assert complaint.assignee == personas.bob and complaint.recorded_by == personas.bob
    detail = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "Overdue by" in detail  # received long ago in the test's calendar
    # Closing before it is resolved: there is no such form, and a forged post is refused.
    refused = client.post(f"/complaints/{complaint.pk}/close/", {"close-confirmation_note": "ok"})
    assert refused.status_code == 400
    assert "only a resolved complaint" in refused.content.decode()
    client.post(f"/complaints/{complaint.pk}/respond/", {"respond-response": "Checking"})
    client.post(f"/complaints/{complaint.pk}/resolve/", {"resolve-resolution": "Credit note"})
    missing = client.post(f"/complaints/{complaint.pk}/close/", {"close-confirmation_note": ""})
    assert missing.status_code == 400
    assert "customer confirms" in missing.content.decode()
    client.post(f"/complaints/{complaint.pk}/close/", {"close-confirmed_by_contact": contact.pk})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    client.post(f"/complaints/{complaint.pk}/reopen/", {"reopen-reason": "Wrong again"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.OPEN and complaint.reopened_count == 1
    history = client.get(f"/complaints/{complaint.pk}/history/")
    assert history.status_code == 200
    # The round before is not lost: the page says where it is kept.
    reopened = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert (
        "The answer, resolution and confirmation before it are kept in its "
        f'<a href="/complaints/{complaint.pk}/history/">change history</a>.'
    ) in reopened


def test_a_bad_receipt_time_is_a_field_error(personas, login):
    client = login(personas.alice)
    url = f"/accounts/{personas.account.pk}/complaints/new/"
    response = client.post(
        url,
        {
            "subject": "x",
            "severity": "low",
            "channel": "phone",
            "received_at": "yesterday",
            "assignee": personas.alice.pk,
            "form_token": client.get(url).context["form_token"],
        },
    )
    assert response.status_code == 200
    assert "received_at" in response.context["form"].errors
    assert not Complaint.objects.exists()


def test_the_account_section_lists_open_complaints_with_a_link(personas, login):
    complaints = [record(personas, subject=f"Complaint {i}") for i in range(7)]
    services.complaint_resolve(by=personas.alice, complaint=complaints[0], resolution="ok")
    services.complaint_close(
        by=personas.alice, complaint=complaints[0], confirmation_note="buyer, phone"
    )
    html = login(personas.alice).get(f"/accounts/{personas.account.pk}/").content.decode()
    assert len(ids_on(html.split('id="complaints"')[1])) == 5
    assert "See all 6 open complaints" in html
    listed = login(personas.alice).get(f"/complaints/?account={personas.account.pk}&open=1")
    assert ids_on(listed.content.decode()) == {c.pk for c in complaints[1:]}


def _dashboard_numbers_and_lists(client):
    html = client.get("/dashboard/").content.decode()
    section = html.split('id="complaints"')[1].split("</section>")[0]
    found = {}
    tile = (
        r'<a class="tile" href="([^"]+)" data-number="(\w+)">'
        r'<span class="tile-label">[^<]+</span><span class="tile-value">([^<]+)</span>'
    )
    for href, key, value in re.findall(tile, section):
        listed = client.get(href.replace("&amp;", "&")).content.decode()
        found[key] = (value.strip(), ids_on(listed))
    return found


@override_settings(TIME_ZONE="Asia/Shanghai", WORKDAY_HOLIDAYS=[], WORKDAY_EXTRA_WORKDAYS=[])
def test_the_dashboard_numbers_link_to_exactly_the_complaints_behind_them(personas, login):
    other = AccountFactory(name="Second Co", owner=personas.bob)
    late_answer = record(personas)  # long past both deadlines
    answered = record(personas, account=other, assignee=personas.bob, by=personas.bob)
    services.complaint_respond(by=personas.bob, complaint=answered, response="On it")
    fresh = record(personas, received_at=None)  # received now: nothing due yet
    resolved = record(personas)
    services.complaint_resolve(by=personas.alice, complaint=resolved, resolution="ok")
    record(personas, by=personas.charlie, account=personas.charlies_account)  # not in view
    found = _dashboard_numbers_and_lists(login(personas.manager))
    assert found["open"] == ("4", {late_answer.pk, answered.pk, fresh.pk, resolved.pk})
    assert found["response"] == ("1", {late_answer.pk})
    assert found["resolution"] == ("2", {late_answer.pk, answered.pk})
    value, ids = found["average"]
    assert ids == {resolved.pk} and "working days" in value
    # The dashboard's filter goes along: bob's accounts only.
    client = login(personas.manager)
    html = client.get(f"/dashboard/?owner={personas.bob.pk}").content.decode()
    section = html.split('id="complaints"')[1].split("</section>")[0]
    href = re.search(r'href="([^"]+)" data-number="open"', section).group(1)
    assert ids_on(client.get(href.replace("&amp;", "&")).content.decode()) == {answered.pk}


def test_query_counts_stay_constant(personas, login, django_assert_max_num_queries):
    client = login(personas.manager)
    record(personas)
    counts = []
    # Both sizes past the account section's five shown (fewer: no count query at all).
    for extra in (5, 12):
        for i in range(extra):
            record(personas, subject=f"More {extra}-{i}")
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        row = []
        for url in ("/complaints/", f"/accounts/{personas.account.pk}/", "/dashboard/"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            row.append(len(queries))
        counts.append(row)
    assert counts[0] == counts[1]


def test_filters_and_a_bad_filter_value(personas, login):
    critical = record(personas, severity="critical")
    record(personas, severity="low")
    client = login(personas.alice)
    assert ids_on(client.get("/complaints/?severity=critical").content.decode()) == {critical.pk}
    bad = client.get("/complaints/?severity=urgent&breached=soon")
    assert bad.status_code == 200
    assert "Select a valid choice" in bad.content.decode()
    assert reverse("complaints:list") == "/complaints/"


def test_my_week_shows_the_complaints_i_handle(personas, login):
    mine = record(personas, assignee=personas.bob, subject="For bob")
    record(personas, subject="For alice")
    html = login(personas.bob).get("/my-week/").content.decode()
    section = html.split('id="my-complaints"')[1].split("</section>")[0]
    assert ids_on(section) == {mine.pk}
    assert "Service level breached" in section
    assert 'id="my-complaints"' not in login(personas.carol).get("/my-week/").content.decode()


def test_my_week_costs_the_same_with_more_complaints(personas, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(personas.alice)
    client.get("/my-week/")  # what a first view keeps (its snapshot) is kept
    counts = []
    for extra in (1, 15, 15):  # 1, 16 and 31: fewer than the section shows, then more
        for i in range(extra):
            record(personas, subject=f"W {len(counts)}-{i}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/my-week/").status_code == 200
        counts.append(len(queries))
    # Fewer than the section shows need no count; more cost one, however many.
    assert counts[0] == counts[1] - 1 and counts[1] == counts[2]


@pytest.mark.parametrize(
    ("days", "said"), [(1, "answer within 1 working day,"), (2, "answer within 2 working days,")]
)
def test_the_service_level_says_one_working_day_or_several(personas, login, days, said):
    complaint = services.complaint_create(
        by=personas.alice, account=personas.account, subject="Late"
    )
    Complaint.objects.filter(pk=complaint.pk).update(respond_days=days)
    page = login(personas.alice).get(complaint.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert said in page.content.decode()


def test_the_counts_beside_the_headings_take_the_languages_brackets(personas, login):
    """未关闭的投诉（2）in Chinese, "Open complaints (2)" in English: the account page,
    its brief and my week."""
    for subject in ("One", "Two"):
        record(personas, assignee=personas.alice, subject=subject)
    client = login(personas.alice)
    pages = [
        (f"/accounts/{personas.account.pk}/", "Open complaints", "未关闭的投诉"),
        (f"/accounts/{personas.account.pk}/brief/", "Open complaints", "未关闭的投诉"),
        ("/my-week/", "Complaints you handle", None),
    ]
    for url, english, chinese in pages:
        text = re.sub(r"<[^>]+>", "", client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
        assert f"{english} (2)" in text, url
        text = re.sub(
            r"<[^>]+>", "", client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        )
        assert "（2）" in text and " (2)" not in text, url
        if chinese:
            assert f"{chinese}（2）" in text, url
