"""Grades in the REST API: `grade` and `score` on accounts, the `grade` filter,
`account_grade` on opportunities, and GET /api/v1/accounts/{id}/grade/."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import AccountFactory
from opportunities.tests.factories import OpportunityFactory
from scoring.defaults import FACTORS
from scoring.models import AccountScore, GradeChange
from scoring.services import grade_pin, rescore

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def grade_url(account) -> str:
    return f"/api/v1/accounts/{account.pk}/grade/"


def pin(account, grade, by, reason="Strategic"):
    grade_pin(
        account=account,
        by=by,
        grade=grade,
        reason=reason,
        expires_on=timezone.localdate() + 30 * DAY,
    )


# --- accounts and opportunities carry the grade --------------------------------------


def test_an_account_reads_its_grade_and_score_or_null(personas, api):
    rescore([personas.account.pk])
    score = AccountScore.objects.get(account=personas.account)
    ungraded = AccountFactory(owner=personas.alice)
    client = api(personas.alice)

    graded_row = client.get(f"/api/v1/accounts/{personas.account.pk}/").json()
    ungraded_row = client.get(f"/api/v1/accounts/{ungraded.pk}/").json()

    assert graded_row["grade"] == score.grade
    assert graded_row["score"] == str(score.score)
    assert ungraded_row["grade"] is None and ungraded_row["score"] is None


def test_grade_and_score_are_read_only(personas, api):
    rescore([personas.account.pk])
    before = AccountScore.objects.get(account=personas.account)

    response = api(personas.alice).patch(
        f"/api/v1/accounts/{personas.account.pk}/", {"grade": "A", "score": "99.0"}
    )

    assert response.status_code == 200
    after = AccountScore.objects.get(account=personas.account)
    assert (after.grade, after.score) == (before.grade, before.score)


def test_accounts_filter_by_one_or_several_grades(personas, api):
    pin(personas.account, "A", personas.manager)
    b = AccountFactory(owner=personas.alice)
    pin(b, "B", personas.manager)
    ungraded = AccountFactory(owner=personas.alice)
    pin(personas.charlies_account, "A", personas.other_manager)
    client = api(personas.alice)

    def ids(query):
        response = client.get(f"/api/v1/accounts/?{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids("grade=A") == {personas.account.pk}
    assert ids("grade=A&grade=B") == {personas.account.pk, b.pk}
    assert ids("grade=none") == {ungraded.pk}
    bad = client.get("/api/v1/accounts/?grade=E")
    assert bad.status_code == 400 and "grade" in bad.json()["errors"]


def test_an_account_list_with_grades_costs_the_same_queries_at_any_page_size(personas, api):
    accounts = [AccountFactory(owner=personas.alice) for _ in range(30)]
    rescore([personas.account.pk, *(a.pk for a in accounts)])
    client = api(personas.alice)
    client.get("/api/v1/accounts/")  # the token's first use

    def queries(page_size):
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/accounts/", {"page_size": page_size})
        assert all(row["grade"] for row in response.json()["results"][:page_size])
        return len(captured)

    assert queries(2) == queries(30)


def test_an_opportunity_reads_its_accounts_grade(personas, api):
    deal = OpportunityFactory(account=personas.account)
    other = OpportunityFactory(account=AccountFactory(owner=personas.alice))
    pin(personas.account, "B", personas.manager)
    client = api(personas.alice)

    assert client.get(f"/api/v1/opportunities/{deal.pk}/").json()["account_grade"] == "B"
    assert client.get(f"/api/v1/opportunities/{other.pk}/").json()["account_grade"] is None
    for _ in range(10):
        OpportunityFactory(account=AccountFactory(owner=personas.alice))
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/opportunities/", {"page_size": 2})
    with CaptureQueriesContext(connection) as many:
        rows = client.get("/api/v1/opportunities/", {"page_size": 12}).json()["results"]
    assert len(rows) == 12 and len(few) == len(many)


# --- GET /accounts/{id}/grade/ -------------------------------------------------------


def test_the_grade_endpoint_answers_grade_pin_why_and_history(personas, api):
    account = personas.account
    rescore([account.pk])
    pin(account, "A", personas.manager, reason="Board-level deal")
    score = AccountScore.objects.get(account=account)

    response = api(personas.bob).get(grade_url(account))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "account",
        "grade",
        "computed_grade",
        "score",
        "pinned",
        "pin",
        "model_version",
        "closing",
        "next_close",
        "days_to_close",
        "computed_at",
        "contributions",
        "history",
    }
    assert body["account"] == account.pk
    assert body["grade"] == "A" and body["computed_grade"] == score.computed_grade
    assert body["score"] == str(score.score)
    assert body["pinned"] is True
    assert body["pin"] == {
        "grade": "A",
        "reason": "Board-level deal",
        "expires_on": (timezone.localdate() + 30 * DAY).isoformat(),
        "pinned_by": personas.manager.pk,
    }
    assert body["model_version"] == 1
    assert body["closing"] == "none" and body["days_to_close"] is None
    assert body["next_close"] is None
    # Each factor as version 1 defines it (scoring/defaults.py), with the account's own
    # raw value, points and contribution as stored; no open deal: time to close unknown.
    stored = {part["key"]: part for part in score.contributions}
    assert [part["key"] for part in body["contributions"]] == [row[0] for row in FACTORS]
    for key, label, label_zh, source, weight, *_rest in FACTORS:
        part = next(part for part in body["contributions"] if part["key"] == key)
        assert (part["label"], part["label_zh"], part["source"], part["weight"]) == (
            label,
            label_zh,
            source,
            weight,
        )
        assert (part["points"], part["contribution"]) == (
            stored[key]["points"],
            stored[key]["contribution"],
        )
        assert part["raw"] == (None if key == "time_to_close" else stored[key]["raw"])
    assert [(c["from_grade"], c["to_grade"], c["reason"]) for c in body["history"]] == [
        (score.computed_grade, "A", "pinned"),
        (None, score.computed_grade, "first"),
    ]
    assert body["history"][0]["note"] == "Board-level deal"
    assert body["history"][0]["model_version"] == 1


def test_the_history_holds_the_latest_20_changes(personas, api):
    for grade in ["A", "B"] * 12:
        pin(personas.account, grade, personas.manager)

    history = api(personas.alice).get(grade_url(personas.account)).json()["history"]

    assert len(history) == 20
    latest = GradeChange.objects.filter(account=personas.account).order_by("-changed_at", "-pk")
    assert [c["to_grade"] for c in history] == [c.to_grade for c in latest[:20]]


def test_an_unpinned_account_has_no_pin(personas, api):
    rescore([personas.account.pk])

    body = api(personas.alice).get(grade_url(personas.account)).json()

    assert body["pin"] is None and body["pinned"] is False


def test_an_account_not_graded_yet_answers_404_saying_so(personas, api):
    response = api(personas.alice).get(grade_url(personas.account))

    assert response.status_code == 404
    assert response.json()["detail"] == "This account has not been graded yet."
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("who", ["carol", "charlie", "other_manager"])
def test_the_grade_of_an_account_one_cannot_see_answers_404(personas, api, who):
    rescore([personas.account.pk])
    client = api(getattr(personas, who))

    hidden = client.get(grade_url(personas.account))
    missing = client.get("/api/v1/accounts/999999/grade/")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_the_grade_endpoint_needs_credentials(personas, api):
    rescore([personas.account.pk])

    assert api().get(grade_url(personas.account)).status_code == 401


def test_the_grade_endpoint_ignores_list_filters(personas, api):
    pin(personas.account, "B", personas.manager)

    response = api(personas.alice).get(grade_url(personas.account), {"grade": "A"})

    assert response.status_code == 200 and response.json()["grade"] == "B"


def test_the_grade_endpoint_costs_the_same_queries_however_long_the_history(personas, api):
    client = api(personas.alice)
    pin(personas.account, "A", personas.manager)
    client.get(grade_url(personas.account))  # the token's first use
    with CaptureQueriesContext(connection) as short:
        client.get(grade_url(personas.account))
    for grade in ["B", "A"] * 15:
        pin(personas.account, grade, personas.manager)
    with CaptureQueriesContext(connection) as long:
        client.get(grade_url(personas.account))

    assert len(long) == len(short)


# --- the schema ----------------------------------------------------------------------


def test_the_schema_describes_every_field_of_the_grade(api):
    schema = api().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/accounts/{id}/grade/"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    components = schema["components"]["schemas"]

    def component(ref):
        return components[ref.rsplit("/", 1)[1]]

    grade = component(ref)
    assert set(grade["properties"]) == {
        "account",
        "grade",
        "computed_grade",
        "score",
        "pinned",
        "pin",
        "model_version",
        "closing",
        "next_close",
        "days_to_close",
        "computed_at",
        "contributions",
        "history",
    }
    assert {"404", "401", "429"} <= set(operation["responses"])
    contribution = component(grade["properties"]["contributions"]["items"]["$ref"])
    assert set(contribution["properties"]) == {
        "key",
        "label",
        "label_zh",
        "source",
        "raw",
        "points",
        "weight",
        "contribution",
    }
    change = component(grade["properties"]["history"]["items"]["$ref"])
    assert set(change["properties"]) == {
        "from_grade",
        "to_grade",
        "score",
        "reason",
        "note",
        "model_version",
        "changed_at",
    }
    account = components["Account"]["properties"]
    assert account["grade"]["readOnly"] and account["score"]["readOnly"]
    assert "account_grade" in components["Opportunity"]["properties"]
    grade_param = next(
        p for p in schema["paths"]["/api/v1/accounts/"]["get"]["parameters"] if p["name"] == "grade"
    )
    assert grade_param["schema"]["type"] == "array"


def test_the_grade_endpoint_counts_the_days_to_the_close_date_it_keeps(personas, api):
    close = timezone.localdate() + 45 * DAY
    OpportunityFactory(account=personas.account, expected_close_date=close)
    rescore([personas.account.pk])

    body = api(personas.alice).get(grade_url(personas.account)).json()

    assert (body["next_close"], body["days_to_close"]) == (close.isoformat(), 45)
    time_to_close = next(p for p in body["contributions"] if p["key"] == "time_to_close")
    # 45 days: the band from 31 days, 80 points; weight 5 of 100: 4.0 of the score
    assert (time_to_close["raw"], time_to_close["points"]) == (45, 80)
    assert time_to_close["contribution"] == 4.0
