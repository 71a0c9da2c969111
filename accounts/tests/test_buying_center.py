"""The buying-center assessment is a pure function: no database needed."""

from types import SimpleNamespace

from accounts.buying_center import assess_buying_center


def person(name, role, attitude="neutral", coach=False, active=True):
    return SimpleNamespace(
        name=name, buying_role=role, attitude=attitude, is_coach=coach, is_active=active
    )


def codes(center):
    return {flag.code for flag in center.flags}


def test_empty_account_lacks_every_role_and_a_coach():
    center = assess_buying_center([])
    assert codes(center) == {"no_decider", "no_coach", "no_evaluator", "no_user", "no_purchaser"}
    assert {f.code for f in center.dangers} == {"no_decider", "no_coach"}


def test_full_buying_center_with_a_friendly_decider_raises_nothing():
    center = assess_buying_center(
        [
            person("Zhang", "decider", "supporter"),
            person("Li", "evaluator", "neutral"),
            person("Wang", "user", "champion", coach=True),
            person("Zhao", "purchaser", "skeptic"),
        ]
    )
    assert center.flags == []
    assert [c.name for c in center.by_role["user"]] == ["Wang"]
    assert [c.name for c in center.coaches] == ["Wang"]


def test_an_opponent_in_a_veto_role_is_a_danger_naming_the_person():
    center = assess_buying_center(
        [
            person("Zhang", "decider", "supporter", coach=True),
            person("Li", "evaluator", "opponent"),
            person("Zhao", "purchaser", "opponent"),
        ]
    )
    vetoes = [f for f in center.flags if f.code == "opponent_with_veto"]
    # The purchaser controls the shortlist but holds no veto: only the evaluator counts.
    assert [f.contact.name for f in vetoes] == ["Li"]
    assert vetoes[0].severity == "danger"
    assert "Li" in str(vetoes[0].message)


def test_past_three_opponents_with_a_veto_the_rest_are_one_flag():
    center = assess_buying_center(
        [
            person("Coach", "purchaser", "supporter", coach=True),
            *(person(f"Decider {i}", "decider", "opponent") for i in range(2)),
            *(person(f"User {i}", "user", "opponent") for i in range(3)),
            person("Evaluator", "evaluator", "opponent"),
        ]
    )
    named = [f.contact.name for f in center.flags if f.code == "opponent_with_veto"]
    assert named == ["Decider 0", "Decider 1", "Evaluator"]  # in map order
    (rest,) = [f for f in center.flags if f.code == "opponents_with_veto_more"]
    assert (rest.severity, str(rest.message)) == ("danger", "3 more opponents hold a veto.")


def test_people_who_left_the_customer_do_not_fill_a_role():
    center = assess_buying_center([person("Zhang", "decider", "supporter", active=False)])
    assert "no_decider" in codes(center)
    assert center.by_role["decider"] == []


def test_a_coach_can_sit_in_any_role_or_none():
    center = assess_buying_center([person("Sun", "other", "champion", coach=True)])
    assert "no_coach" not in codes(center)
    assert [c.name for c in center.others] == ["Sun"]


def test_a_decider_whose_attitude_is_unknown_is_a_warning():
    center = assess_buying_center([person("Zhang", "decider", "unknown", coach=True)])
    assert "decider_attitude_unknown" in codes(center)
    assert "no_decider" not in codes(center)
