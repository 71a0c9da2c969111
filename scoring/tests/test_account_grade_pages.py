"""An account's grade on its page, its grade history, the rep's assessment and a
manager's pin: what each shows, who may use it, and that it answers 404 outside the
visibility rule."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AccountFactory
from keyaccounts.tests.paging_helpers import link
from keyaccounts.tests.section_helpers import section_context
from scoring.models import AccountScore, Assessment, GradeChange, GradePin
from scoring.services import active_model, factors_of, grade_pin, rescore
from scoring.tests.test_table_pages import new_version

GRADE_CARD = "scoring/includes/grade_card.html"  # the account page's section
pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def detail(account):
    return reverse("accounts:detail", args=[account.pk])


def history(account):
    return reverse("scoring:account_grade", args=[account.pk])


def assessment(account):
    return reverse("scoring:account_assessment", args=[account.pk])


def pin_url(account):
    return reverse("scoring:account_grade_pin", args=[account.pk])


def unpin_url(account):
    return reverse("scoring:account_grade_unpin", args=[account.pk])


def in_a_month():
    return timezone.localdate() + 30 * DAY


def pin(account, grade, by, reason="Strategic customer"):
    grade_pin(account=account, by=by, grade=grade, reason=reason, expires_on=in_a_month())


def graded(account):
    account.annual_budget = 20000  # the budget factor: 100 points
    account.save()
    rescore([account.pk])
    return AccountScore.objects.get(account=account)


# --- the account page --------------------------------------------------------------------


def test_the_account_page_says_when_an_account_is_not_graded_yet(personas, login):
    page = login(personas.alice).get(detail(personas.account)).content.decode()

    assert 'id="grade"' in page
    assert "Not graded yet." in page
    assert reverse("scoring:account_grade", args=[personas.account.pk]) in page
    assert reverse("scoring:account_assessment", args=[personas.account.pk]) in page


def test_the_grade_card_shows_grade_score_and_why_largest_part_first(personas, login):
    score = graded(personas.account)

    response = login(personas.alice).get(detail(personas.account))

    card = section_context(response, GRADE_CARD)
    assert card["score"] == score
    contributions = [row["contribution"] for row in card["reasons"]]
    assert contributions == sorted(contributions, reverse=True)
    assert card["reasons"][0]["key"] == "size_budget"
    assert card["reasons"][0]["name"] == "Customer size and budget"
    page = response.content.decode()
    assert f"Score {score.score} of 100" in page
    assert f'<span class="badge grade grade-{score.grade}"' in page
    assert '<tr data-factor="size_budget">' in page
    assert "Computed with Risk-evaluation table v1" in page


def test_factor_labels_follow_the_readers_language(personas, login):
    graded(personas.account)
    client = login(personas.alice)

    chinese = client.get(detail(personas.account), headers={"accept-language": "zh-hans"})

    assert section_context(chinese, GRADE_CARD)["reasons"][0]["name"] == "客户规模与预算"
    assert "客户规模与预算" in chinese.content.decode()


def test_a_pin_shows_its_grade_reason_date_and_manager(personas, login):
    graded(personas.account)
    pin(personas.account, "A", personas.manager, reason="Board-level deal")

    page = login(personas.alice).get(detail(personas.account)).content.decode()

    until = in_a_month().isoformat()
    assert f"Pinned at A until {until} by {personas.manager}." in page
    assert "Board-level deal" in page
    assert 'data-pinned="A"' in page
    # The next best actions, graded by the table, say the pin overrides their grades.
    assert AccountScore.objects.get(account=personas.account).computed_grade != "A"
    said = "A manager pinned the account's grade at A: the grades here are the risk table's"
    assert said in page
    # Only a manager is offered to change or remove it.
    assert pin_url(personas.account) not in page
    manager_page = login(personas.manager).get(detail(personas.account)).content.decode()
    assert pin_url(personas.account) in manager_page
    assert unpin_url(personas.account) in manager_page


def test_the_account_page_shows_the_assessment_ratings(personas, login):
    Assessment.objects.create(account=personas.account, need_fit=4, rated_by=personas.bob)

    page = login(personas.alice).get(detail(personas.account)).content.decode()

    assert "4 of 5" in page
    assert "not rated" in page
    assert f"Rated by {personas.bob}" in page


def test_the_account_page_costs_the_same_queries_graded_or_not(personas, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(personas.alice)
    client.get(detail(personas.account))
    with CaptureQueriesContext(connection) as ungraded:
        client.get(detail(personas.account))
    graded(personas.account)
    pin(personas.account, "A", personas.manager)
    Assessment.objects.create(account=personas.account, need_fit=4, rated_by=personas.bob)
    with CaptureQueriesContext(connection) as pinned:
        client.get(detail(personas.account))

    assert len(pinned) == len(ungraded)


# --- the grade history -------------------------------------------------------------------


def test_the_history_lists_changes_newest_first_with_what_moved(personas, login):
    account = personas.account
    rescore([account.pk])  # first grade: D, no open deal
    account.annual_budget = 20000
    account.save()
    rescore([account.pk])  # a better score, still D: no change of grade is recorded
    pin(account, "A", personas.manager, reason="Board-level deal")

    response = login(personas.bob).get(history(account))

    assert response.status_code == 200
    rows = response.context["rows"]
    changes = list(GradeChange.objects.filter(account=account).order_by("-changed_at", "-pk"))
    assert [row["change"] for row in rows] == changes
    assert [(c.from_grade, c.to_grade, c.reason) for c in changes] == [
        ("D", "A", "pinned"),
        ("", "D", "first"),
    ]
    # Since the first grade, the budget's points moved; nothing else did.
    assert rows[0]["moves"] == [
        {"key": "size_budget", "name": "Customer size and budget", "before": 0, "after": 100}
    ]
    assert rows[1]["moves"] is None  # the first grade: nothing to compare with
    page = response.content.decode()
    assert "Pinned by a manager" in page and "Board-level deal" in page
    assert "First grade" in page and "v1" in page
    assert "Customer size and budget: 0 → 100 points" in page


def test_factor_moves_compare_each_change_with_the_one_before():
    from scoring.grade.views import factor_moves

    before = [
        {"key": "a", "label": "A", "points": 10},
        {"key": "b", "label": "B", "points": 50},
        {"key": "gone", "label": "Gone", "points": 20},
    ]
    after = [
        {"key": "a", "label": "A", "points": 10},
        {"key": "b", "label": "B", "points": 75},
        {"key": "new", "label": "New", "points": 0},
    ]

    moves = factor_moves(before, after)

    assert [(m["key"], m["before"], m["after"]) for m in moves] == [
        ("b", 50, 75),
        ("new", None, 0),
        ("gone", 20, None),
    ]


def test_the_history_pages_and_compares_across_the_page_break(personas, login):
    account = personas.account
    for grade in ["A", "B"] * 14:  # 28 changes: two pages
        pin(account, grade, personas.manager)
    client = login(personas.alice)

    first = client.get(history(account))
    second = client.get(link(first, "next"))

    assert len(first.context["rows"]) == 25
    assert len(second.context["rows"]) == 3
    # The last row of page one is compared with the first of page two.
    assert first.context["rows"][-1]["moves"] is not None
    assert second.context["rows"][-1]["moves"] is None


def test_a_history_with_no_grade_yet_says_so(personas, login):
    response = login(personas.alice).get(history(personas.account))

    assert response.status_code == 200
    assert "No grade on record yet." in response.content.decode()


# --- the assessment ----------------------------------------------------------------------


def test_the_assessment_form_explains_each_rating_from_the_active_table(personas, login):
    factors = factors_of(active_model())
    for factor in factors:
        if factor["source"] == "need_fit":
            factor["guidance"] = "Version two: 5 means they wrote our spec."
    new_version(personas.manager, note="New guidance", factors=factors)

    page = login(personas.alice).get(assessment(personas.account)).content.decode()

    assert "Version two: 5 means they wrote our spec." in page
    assert "1: no relationship yet." in page  # the relationship factor's, unchanged
    assert "our solution is the reference" not in page  # version 1's need-fit guidance


def test_the_guidance_is_in_the_pages_language_and_a_new_version_keeps_both(personas, login):
    page = (
        login(personas.alice)
        .get(assessment(personas.account), HTTP_ACCEPT_LANGUAGE="zh-hans")
        .content.decode()
    )
    assert "1：尚无关系。" in page and "1: no relationship yet." not in page
    assert (
        "1: no relationship yet."
        in login(personas.alice)
        .get(assessment(personas.account), HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )

    factors = factors_of(active_model())
    for factor in factors:
        if factor["source"] == "need_fit":
            factor["guidance_zh"] = ""  # no Chinese: the English shows on Chinese pages
    new_version(personas.manager, note="Need fit in English only", factors=factors)
    page = (
        login(personas.alice)
        .get(assessment(personas.account), HTTP_ACCEPT_LANGUAGE="zh-hans")
        .content.decode()
    )
    assert "1：尚无关系。" in page  # kept by the new version
    assert "our solution is the reference" in page


def test_a_rating_the_active_table_does_not_read_says_so(personas, login):
    factors = [f for f in factors_of(active_model()) if f["source"] != "competitive_position"]
    new_version(personas.manager, note="No competitive position", factors=factors)

    form = login(personas.alice).get(assessment(personas.account)).context["form"]

    assert "does not use this rating" in str(form["competitive_position"].help_text)
    assert "does not use this rating" not in str(form["need_fit"].help_text)


def test_saving_the_ratings_rescores_the_account_at_once(personas, login):
    rescore([personas.account.pk])
    before = AccountScore.objects.get(account=personas.account).score
    client = login(personas.bob)  # on the account team: any user who sees it may rate

    response = client.post(
        assessment(personas.account),
        {"need_fit": "5", "competitive_position": "4", "relationship": "5", "notes": "Warm"},
    )

    assert response.status_code == 302
    assert response.url == detail(personas.account) + "#grade"
    saved = Assessment.objects.get(account=personas.account)
    assert (saved.need_fit, saved.competitive_position, saved.relationship) == (5, 4, 5)
    assert saved.notes == "Warm" and saved.rated_by == personas.bob
    score = AccountScore.objects.get(account=personas.account)
    assert score.score > before
    raw = {item["key"]: item.get("raw") for item in score.contributions}
    assert raw["need_fit"] == 5 and raw["relationship"] == 5
    page = client.get(response.url).content.decode()
    assert f"Score {score.score} of 100" in page


def test_a_rating_can_be_cleared_and_a_bad_one_is_refused(personas, login):
    Assessment.objects.create(account=personas.account, need_fit=3)
    client = login(personas.alice)

    bad = client.post(assessment(personas.account), {"need_fit": "6", "relationship": "2"})
    assert bad.status_code == 200
    assert "need_fit" in bad.context["form"].errors
    assert Assessment.objects.get(account=personas.account).relationship is None

    client.post(assessment(personas.account), {"need_fit": "", "relationship": "2"})
    saved = Assessment.objects.get(account=personas.account)
    assert saved.need_fit is None and saved.relationship == 2


def test_the_form_starts_from_the_saved_ratings(personas, login):
    Assessment.objects.create(account=personas.account, need_fit=3, notes="Known")

    form = login(personas.alice).get(assessment(personas.account)).context["form"]

    assert form["need_fit"].value() == 3
    assert form["notes"].value() == "Known"


# --- the pin -----------------------------------------------------------------------------


def test_a_manager_pins_and_unpins_a_grade(personas, login):
    rescore([personas.account.pk])
    client = login(personas.manager)
    until = in_a_month()

    response = client.post(
        pin_url(personas.account),
        {"grade": "A", "reason": "Strategic", "expires_on": until.isoformat()},
    )

    assert response.status_code == 302
    assert response.url == detail(personas.account) + "#grade"
    saved = GradePin.objects.get(account=personas.account)
    assert (saved.grade, saved.reason, saved.expires_on) == ("A", "Strategic", until)
    assert saved.pinned_by == personas.manager
    assert AccountScore.objects.get(account=personas.account).grade == "A"

    assert client.post(unpin_url(personas.account)).status_code == 302
    assert not GradePin.objects.filter(account=personas.account).exists()
    score = AccountScore.objects.get(account=personas.account)
    assert score.grade == score.computed_grade and not score.pinned


def test_the_pin_form_starts_from_the_pin_in_force(personas, login):
    pin(personas.account, "B", personas.manager, reason="Holding")

    form = login(personas.manager).get(pin_url(personas.account)).context["form"]

    assert form["grade"].value() == "B"
    assert form["reason"].value() == "Holding"


def test_invalid_pin_input_is_shown_again_with_its_errors(personas, login):
    client = login(personas.manager)

    response = client.post(
        pin_url(personas.account), {"grade": "E", "reason": "Kept text", "expires_on": "soon"}
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert {"grade", "expires_on"} <= set(form.errors)
    page = response.content.decode()
    assert "Kept text" in page and 'value="soon"' in page
    assert not GradePin.objects.exists()


def test_a_pin_ending_in_the_past_or_without_a_reason_is_refused_beside_its_field(personas, login):
    yesterday = timezone.localdate() - DAY
    response = login(personas.manager).post(
        pin_url(personas.account),
        {"grade": "A", "reason": "   ", "expires_on": yesterday.isoformat()},
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.non_field_errors() == []
    assert form.errors["expires_on"] == ["The pin must hold until today or a later day."]
    assert form.errors["reason"] == ["Say why the grade is pinned."]
    assert "Please correct" in response.content.decode()  # the banner of a refused form
    assert not GradePin.objects.exists()


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_a_rep_who_sees_the_account_may_not_pin_it(personas, login, who):
    pin(personas.account, "B", personas.manager)
    client = login(getattr(personas, who))
    data = {"grade": "A", "reason": "Mine", "expires_on": in_a_month().isoformat()}

    assert client.get(pin_url(personas.account)).status_code == 403
    assert client.post(pin_url(personas.account), data).status_code == 403
    assert client.post(unpin_url(personas.account)).status_code == 403
    assert GradePin.objects.get(account=personas.account).grade == "B"


def test_unpin_takes_only_a_post(personas, login):
    pin(personas.account, "B", personas.manager)

    assert login(personas.manager).get(unpin_url(personas.account)).status_code == 405
    assert GradePin.objects.exists()


# --- visibility --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["carol", "charlie", "other_manager"])
def test_every_grade_page_answers_404_outside_the_visibility_rule(personas, login, who):
    pin(personas.account, "B", personas.manager)
    client = login(getattr(personas, who))
    account = personas.account

    for url in (history(account), assessment(account), pin_url(account)):
        assert client.get(url).status_code == 404, url
    assert client.post(assessment(account), {"need_fit": "1"}).status_code == 404
    data = {"grade": "D", "reason": "x", "expires_on": in_a_month().isoformat()}
    assert client.post(pin_url(account), data).status_code == 404
    assert client.post(unpin_url(account)).status_code == 404
    assert GradePin.objects.get(account=account).grade == "B"
    assert not Assessment.objects.exists()


def test_an_account_that_does_not_exist_answers_404_like_an_invisible_one(personas, login):
    missing = AccountFactory(owner=personas.alice)
    pk = missing.pk
    missing.delete()
    client = login(personas.manager)

    for name in ("account_grade", "account_assessment", "account_grade_pin"):
        assert client.get(reverse(f"scoring:{name}", args=[pk])).status_code == 404


def test_the_grade_pages_need_a_login(personas, client):
    for url in (history(personas.account), assessment(personas.account)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
