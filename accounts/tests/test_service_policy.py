"""The service policy by grade: `current_policy()` and its versions."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import GradePolicy, ServicePolicy
from accounts.policy import current_policy
from accounts.policy.services import service_policy_new_version
from accounts.tests.factories import policy_set
from keyaccounts.exceptions import ApplicationError, VersionConflict

pytestmark = pytest.mark.django_db


def test_the_migration_makes_version_1_active_with_the_initial_values():
    policy = current_policy()
    assert policy.version == 1
    assert policy.contact_rhythm_days("A") == 14
    assert policy.contact_rhythm_days("D") == 90
    assert policy.service_levels("A") == (1, 5)
    assert policy.service_levels("B") == (2, 10)
    assert policy.service_levels("C") == (3, 15)
    assert policy.service_levels("D") == (5, 20)
    assert policy.discount_ceiling("A") == Decimal("15")
    assert policy.discount_ceiling("D") == Decimal("0")
    assert [row.grade for row in policy.rows()] == ["A", "B", "C", "D"]


def test_the_note_the_system_wrote_is_shown_in_the_reader_s_language(personas, login):
    client = login(personas.manager)
    chinese = client.get(reverse("policy:policy"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    versions = client.get(reverse("policy:versions"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    for page in (chinese, versions):
        html = page.content.decode()
        assert "初始政策（联系节奏取自环境设置）" in html
        assert "Initial policy" not in html
    english = client.get(reverse("policy:policy"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Initial policy (contact rhythm from the environment)" in english
    # A person's note is shown as they wrote it, in every language.
    policy_set(rhythm={"A": 10}, note="Rhythm of A accounts tightened", by=personas.manager)
    html = client.get(reverse("policy:policy"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Rhythm of A accounts tightened" in html


def test_ungraded_is_served_as_d():
    policy = current_policy()
    assert policy.contact_rhythm_days(None) == policy.contact_rhythm_days("D")
    assert policy.service_levels(None) == policy.service_levels("D")
    assert policy.discount_ceiling("") == policy.discount_ceiling("D")


def test_a_new_active_version_is_read_at_the_next_call():
    first = current_policy()
    ServicePolicy.objects.filter(is_active=True).update(is_active=False)
    second = ServicePolicy.objects.create(version=2, is_active=True, note="tighter")
    for grade, rhythm in zip("ABCD", (7, 14, 30, 60), strict=True):
        GradePolicy.objects.create(
            policy=second,
            grade=grade,
            contact_rhythm_days=rhythm,
            respond_working_days=1,
            resolve_working_days=3,
            discount_ceiling_percent=None,
        )
    policy = current_policy()
    assert policy.version == 2 and first.version == 1
    assert policy.contact_rhythm_days("A") == 7
    assert policy.discount_ceiling("B") is None
    with pytest.raises(AttributeError):
        policy.version = 3  # immutable


def test_without_any_version_the_defaults_apply(settings):
    ServicePolicy.objects.all().delete()
    settings.CONTACT_RHYTHM_DAYS = {"A": 10, "B": 20, "C": 30, "D": 40}
    policy = current_policy()
    assert policy.version == 0
    assert policy.contact_rhythm_days("B") == 20
    assert policy.service_levels("A") == (1, 5)


# --- versions through the service and the editor ------------------------------------------


def rows_of(policy, **changes):
    """The rows of `policy` as the service takes them, with `changes` {"A": {field: v}}."""
    rows = {
        row.grade: {
            "contact_rhythm_days": row.contact_rhythm_days,
            "respond_working_days": row.respond_working_days,
            "resolve_working_days": row.resolve_working_days,
            "discount_ceiling_percent": row.discount_ceiling_percent,
        }
        for row in policy.rows()
    }
    for grade, fields in changes.items():
        rows[grade].update(fields)
    return rows


def edit_post(policy, *, note="A accounts more often", **changes):
    data = {"base_version": policy.version, "note": note}
    for grade, fields in rows_of(policy, **changes).items():
        for field, value in fields.items():
            data[f"{grade}-{field}"] = "" if value is None else str(value)
    return data


def test_a_manager_saves_a_new_active_version_and_the_old_one_is_kept(personas):
    saved = service_policy_new_version(
        by=personas.manager,
        base_version=1,
        note="A accounts every 10 days",
        rows=rows_of(current_policy(), A={"contact_rhythm_days": 10}),
    )
    assert saved.version == 2 and saved.is_active and saved.created_by == personas.manager
    assert list(ServicePolicy.objects.filter(is_active=True)) == [saved]
    assert ServicePolicy.objects.get(version=1).grades.get(grade="A").contact_rhythm_days == 14
    assert current_policy().version == 2
    assert current_policy().contact_rhythm_days("A") == 10


def test_saving_from_an_older_version_is_refused(personas):
    policy_set(rhythm={"A": 7})  # version 2, saved by someone else meanwhile
    with pytest.raises(VersionConflict) as refused:
        service_policy_new_version(
            by=personas.manager, base_version=1, note="late", rows=rows_of(current_policy())
        )
    assert refused.value.current_version == 2
    assert ServicePolicy.objects.count() == 2


def test_a_rep_cannot_save_a_version_and_a_note_is_required(personas):
    with pytest.raises(ApplicationError):
        service_policy_new_version(
            by=personas.alice, base_version=1, note="mine", rows=rows_of(current_policy())
        )
    with pytest.raises(ApplicationError):
        service_policy_new_version(
            by=personas.manager, base_version=1, note="  ", rows=rows_of(current_policy())
        )
    assert current_policy().version == 1


def test_everyone_signed_in_reads_the_policy_only_managers_edit(personas, login, client):
    assert client.get("/policy/").status_code == 302  # the sign-in page
    rep = login(personas.alice)
    page = rep.get("/policy/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Service policy by grade" in text and "version 1" in text
    assert reverse("policy:edit") not in text  # no edit button for a rep
    assert rep.get("/policy/versions/").status_code == 200
    assert rep.get("/policy/v1/").status_code == 200
    assert rep.get("/policy/v99/").status_code == 404
    assert rep.get("/policy/edit/").status_code == 403
    post = rep.post("/policy/edit/", edit_post(current_policy(), A={"contact_rhythm_days": 3}))
    assert post.status_code == 403 and current_policy().version == 1

    manager = login(personas.manager)
    assert reverse("policy:edit") in manager.get("/policy/").content.decode()
    assert manager.get("/policy/edit/").status_code == 200


def test_the_editor_saves_a_version_and_the_versions_list_shows_what_changed(personas, login):
    client = login(personas.manager)
    response = client.post(
        "/policy/edit/",
        edit_post(
            current_policy(),
            note="Tighter for A, no ceiling for A",
            A={"contact_rhythm_days": 10, "discount_ceiling_percent": None},
        ),
    )
    assert response.status_code == 302
    assert current_policy().version == 2
    assert current_policy().discount_ceiling("A") is None
    page = client.get("/policy/versions/").content.decode()
    assert "Tighter for A, no ceiling for A" in page
    assert "Grade A, contact rhythm (days): 14 → 10" in page
    assert "Grade A, discount ceiling (%): 15.00 → no ceiling" in page
    assert "First version" in page  # version 1 has nothing before it
    # the old version still reads, marked as no longer applying
    old = client.get("/policy/v1/").content.decode()
    assert "no longer applies" in old


def test_the_same_values_again_are_no_new_version(personas, login):
    """Back after saving, then Save again (or a form sent twice): nothing changed, said on
    the form with the note kept; the versions list keeps only the version that did."""
    client = login(personas.manager)
    first = edit_post(current_policy(), note="A ceiling 12", A={"discount_ceiling_percent": 12})
    assert client.post("/policy/edit/", first).status_code == 302
    assert current_policy().version == 2
    again = edit_post(current_policy(), note="A ceiling 12, again")
    response = client.post("/policy/edit/", again)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing to save: version 2, in force, holds these values already." in page
    assert "A ceiling 12, again" in page
    assert ServicePolicy.objects.count() == 2 and current_policy().version == 2
    with pytest.raises(ApplicationError):
        service_policy_new_version(
            by=personas.manager, base_version=2, note="x", rows=rows_of(current_policy())
        )


def test_the_editor_refuses_an_edit_started_from_an_older_version(personas, login):
    client = login(personas.manager)
    form = edit_post(current_policy(), A={"contact_rhythm_days": 10})  # from version 1
    policy_set(rhythm={"B": 20})  # another manager saves version 2
    response = client.post("/policy/edit/", form)
    assert response.status_code == 200
    assert "Another manager saved version 2" in response.content.decode()
    assert current_policy().version == 2 and current_policy().contact_rhythm_days("A") == 14
    # saving again is then a choice made knowing about version 2
    again = client.post("/policy/edit/", {**form, "base_version": 2})
    assert again.status_code == 302 and current_policy().version == 3


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("A-contact_rhythm_days", "0", "Enter at least 1."),
        ("A-contact_rhythm_days", "366", "Enter at most 365."),
        ("B-respond_working_days", "x", "Enter a whole number from 1 to 60."),
        ("B-resolve_working_days", "61", "Enter at most 60."),
        ("C-resolve_working_days", "2", "Resolving cannot take less time than responding"),
        ("D-discount_ceiling_percent", "101", "Enter a percentage from 0 to 100"),
        ("D-discount_ceiling_percent", "-1", "Enter a percentage from 0 to 100"),
        ("note", "", "Say what changed and why"),
    ],
)
def test_bad_input_is_a_field_error_naming_what_is_expected(personas, login, field, value, error):
    client = login(personas.manager)
    data = edit_post(current_policy())
    data[field] = value
    response = client.post("/policy/edit/", data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert current_policy().version == 1


# --- the rhythm is the policy's --------------------------------------------------------------


def test_the_lapsed_rule_my_week_and_the_reminder_scan_follow_the_policy(personas, login):
    from visits.models import Notification, NotificationKind
    from visits.reminders import reminders_scan
    from visits.selectors import account_rhythm_days, accounts_with_lapsed_contact
    from visits.tests.factories import VisitFactory

    now = timezone.now()
    VisitFactory(account=personas.account, occurred_at=now - datetime.timedelta(days=40))
    # ungraded: the D rhythm, 90 days by the first version
    assert not accounts_with_lapsed_contact(user=personas.alice, now=now).exists()
    policy_set(rhythm={"D": 30})
    assert account_rhythm_days(None) == 30
    assert list(accounts_with_lapsed_contact(user=personas.alice, now=now)) == [personas.account]
    week = login(personas.alice).get("/my-week/")
    assert [a.pk for a in week.context["lapsed"]] == [personas.account.pk]
    assert "D every 30 days" in week.content.decode()
    assert reminders_scan(now=now, account_ids=[personas.account.pk]) >= 1
    assert Notification.objects.filter(
        kind=NotificationKind.CONTACT_LAPSED, account=personas.account
    ).exists()


def test_a_version_activated_elsewhere_is_seen_by_the_next_request(personas, login):
    client = login(personas.alice)
    assert "D every 90 days" in client.get("/my-week/").content.decode()
    # Another process saves a version: here, rows written without this process's signals.
    ServicePolicy.objects.filter(is_active=True).update(is_active=False)
    other = ServicePolicy.objects.create(version=5, is_active=True, note="elsewhere")
    GradePolicy.objects.bulk_create(
        GradePolicy(
            policy=other,
            grade=grade,
            contact_rhythm_days=days,
            respond_working_days=1,
            resolve_working_days=2,
        )
        for grade, days in zip("ABCD", (5, 6, 7, 8), strict=True)
    )
    assert "D every 8 days" in client.get("/my-week/").content.decode()


def test_the_policy_pages_cost_constant_queries(personas, login, django_assert_max_num_queries):
    client = login(personas.manager)
    for n in range(3):
        policy_set(rhythm={"A": 10 + n})
    with django_assert_max_num_queries(12) as three:
        client.get("/policy/versions/")
    for n in range(6):
        policy_set(rhythm={"B": 20 + n})
    with django_assert_max_num_queries(len(three.captured_queries)):
        client.get("/policy/versions/")
