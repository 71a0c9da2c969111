"""The risk-evaluation table's pages: read by everyone, edited by managers only."""

import pytest
from django.urls import reverse

from scoring import services
from scoring.models import ScoringModel
from scoring.table.forms import bands_text, parse_bands

pytestmark = pytest.mark.django_db

TABLE_URL = reverse("scoring:table")
VERSIONS_URL = reverse("scoring:table_versions")
EDIT_URL = reverse("scoring:table_edit")


# --- helpers the editor's tests share ------------------------------------------------------


def _posted_value(bound):
    value = bound.value()
    if value is None or value is False:
        return ""
    if value is True:
        return "on"
    return value


def edit_page_data(response) -> dict:
    """The edit page's form as a browser submits it untouched: every field it rendered,
    with the value it rendered."""
    form, formset = response.context["form"], response.context["formset"]
    data = {}
    for bound in [*form, *formset.management_form]:
        data[bound.html_name] = _posted_value(bound)
    for factor_form in formset.forms:
        for bound in factor_form:
            data[bound.html_name] = _posted_value(bound)
    return data


def factor_prefix(response, key: str) -> str:
    """The form prefix ("factors-3") of the factor with `key` on the edit page."""
    for factor_form in response.context["formset"].forms:
        if factor_form.initial.get("key") == key:
            return factor_form.prefix
    raise AssertionError(f"no factor {key!r} on the edit page")


def extra_prefix(response) -> str:
    """The prefix of the empty "add a factor" form at the end."""
    return response.context["formset"].forms[-1].prefix


def new_version(by, **changes):
    model = services.active_model()
    arguments = {
        "by": by,
        "base_version": model.version,
        "note": "A test version",
        "strong_min": model.strong_min,
        "fair_min": model.fair_min,
        "soon_days": model.soon_days,
        "factors": services.factors_of(model),
        "grid": services.grid_of(model),
    }
    return services.scoring_model_new_version(**{**arguments, **changes})


# --- reading -----------------------------------------------------------------------------


def test_a_rep_reads_the_active_table_with_weights_shares_bands_and_grid(personas, login):
    response = login(personas.carol).get(TABLE_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Customer size and budget" in html
    assert "Annual budget for our category (10k CNY)" in html  # the source's label
    assert "15.0%" in html  # weight 15 of 100
    assert '10,000</span> → <span class="band-points">100' in html
    assert "The budget for our category, in 10k CNY a year." in html  # guidance
    grid = response.context["grid_rows"]
    assert [grades for _closing, _label, grades in grid] == [
        ["A", "B", "D"],
        ["B", "C", "D"],
        ["D", "D", "D"],
    ]
    assert "a score of 70 or more" in html
    assert "within 90 days" in html
    assert EDIT_URL not in html  # a rep is not offered the editor


def test_the_table_shows_chinese_labels_to_a_chinese_page(personas, login):
    response = login(personas.alice).get(TABLE_URL, HTTP_ACCEPT_LANGUAGE="zh-hans")

    html = response.content.decode()
    assert "客户规模与预算" in html
    assert "Customer size and budget" not in html


def test_shares_follow_the_weights_when_they_do_not_add_up_to_100(personas, login):
    factors = services.factors_of(services.active_model())[:2]  # weights 15 and 10
    new_version(personas.admin, factors=factors)

    response = login(personas.alice).get(TABLE_URL)

    shares = [round(row["share"], 1) for row in response.context["factors"]]
    assert shares == [60.0, 40.0]


def test_the_table_page_costs_a_constant_number_of_queries(
    personas, login, django_assert_max_num_queries
):
    client = login(personas.alice)
    client.get(TABLE_URL)  # the active model exists
    # Session and user (2), the model, its factors, their bands, its grid (4), the
    # header (1), and the session saved again (3): never one per factor or band.
    with django_assert_max_num_queries(11):
        assert client.get(TABLE_URL).status_code == 200


def test_versions_are_listed_and_an_old_one_stays_readable(personas, login):
    new_version(personas.manager, note="Budget counts double")
    client = login(personas.bob)

    listing = client.get(VERSIONS_URL)
    html = listing.content.decode()
    assert [v.version for v in listing.context["page"].object_list] == [2, 1]
    assert "Budget counts double" in html
    assert str(personas.manager) in html
    assert reverse("scoring:table_version", args=[1]) in html

    old = client.get(reverse("scoring:table_version", args=[1]))
    assert old.status_code == 200
    assert "This is an old version" in old.content.decode()
    assert old.context["active"].version == 2
    assert client.get(reverse("scoring:table_version", args=[9])).status_code == 404


# --- who may edit ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "carol", "charlie"])
def test_a_rep_may_not_open_or_post_the_editor(personas, login, who):
    client = login(getattr(personas, who))
    assert client.get(EDIT_URL).status_code == 403
    assert client.post(EDIT_URL, {"note": "sneaky"}).status_code == 403
    assert ScoringModel.objects.count() == 1


@pytest.mark.parametrize("who", ["manager", "other_manager", "admin"])
def test_managers_open_the_editor_filled_with_the_active_table(personas, login, who):
    response = login(getattr(personas, who)).get(EDIT_URL)

    assert response.status_code == 200
    data = edit_page_data(response)
    size = factor_prefix(response, "size_budget")
    assert data[f"{size}-bands"] == "0 10\n100 30\n500 55\n2000 80\n10000 100"
    assert data[f"{size}-weight"] == 15
    assert data["base_version"] == 1
    assert data["grid_soon_strong"] == "A"
    assert data["factors-TOTAL_FORMS"] == 10  # nine factors and an empty one to add


# --- validation: what was typed comes back, with a precise message ----------------------


def test_bad_bands_text_says_which_line_is_wrong_and_keeps_the_input(personas, login):
    client = login(personas.manager)
    page = client.get(EDIT_URL)
    data = edit_page_data(page)
    size = factor_prefix(page, "size_budget")
    typed = "0 10\n100 thirty\n50 40\n200 120\n300"
    data[f"{size}-bands"] = typed
    data["note"] = "Bands reworked"

    response = client.post(EDIT_URL, data)

    assert response.status_code == 200
    errors = response.context["formset"].forms[int(size.split("-")[1])].errors["bands"]
    assert errors == [
        "Line 2: the points “thirty” are not a whole number from 0 to 100. Expected the "
        "value, a space, then whole points, e.g. “100 30”.",
        "Line 3: the value 50 is not above 100 on line 2. Expected the values in ascending "
        "order, each once.",
        "Line 4: the points “120” are not a whole number from 0 to 100. Expected the value, "
        "a space, then whole points, e.g. “100 30”.",
        "Line 5: expected two numbers, the value the band starts from and its points (e.g. "
        "“100 30”), but found “300”.",
    ]
    assert "100 thirty" in response.content.decode()
    assert response.context["formset"].forms[int(size.split("-")[1])]["bands"].value() == typed
    assert ScoringModel.objects.count() == 1


def test_fair_above_strong_and_a_missing_note_are_refused(personas, login):
    client = login(personas.manager)
    data = edit_page_data(client.get(EDIT_URL))
    data.update({"strong_min": "50", "fair_min": "60", "note": ""})

    response = client.post(EDIT_URL, data)

    form = response.context["form"]
    assert form.errors["fair_min"] == ["“Fair from” must not be above “strong from”."]
    assert "note" in form.errors
    assert ScoringModel.objects.count() == 1


def test_deleting_every_factor_is_refused(personas, login):
    client = login(personas.manager)
    page = client.get(EDIT_URL)
    data = edit_page_data(page)
    for factor_form in page.context["formset"].initial_forms:
        data[f"{factor_form.prefix}-DELETE"] = "on"
    data["note"] = "Nothing left"

    response = client.post(EDIT_URL, data)

    assert "The table needs at least one factor." in response.content.decode()
    assert ScoringModel.objects.count() == 1


def test_a_refusal_of_the_service_is_shown_above_the_form(personas, login):
    client = login(personas.manager)
    page = client.get(EDIT_URL)
    data = edit_page_data(page)
    for factor_form in page.context["formset"].initial_forms:
        data[f"{factor_form.prefix}-weight"] = "0"
    data["note"] = "Every weight zero"

    response = client.post(EDIT_URL, data)

    assert response.context["form"].non_field_errors() == [
        "The table needs at least one factor with a weight above 0."
    ]
    assert 'value="Every weight zero"' in response.content.decode()
    assert ScoringModel.objects.count() == 1


def test_an_untouched_empty_row_adds_nothing_but_a_half_filled_one_is_checked(personas, login):
    client = login(personas.manager)
    page = client.get(EDIT_URL)
    data = edit_page_data(page)
    extra = extra_prefix(page)
    data["note"] = "Only a label typed in the new row"
    data[f"{extra}-label"] = "Half a factor"

    response = client.post(EDIT_URL, data)

    errors = response.context["formset"].forms[-1].errors
    assert set(errors) == {"source", "weight", "bands"}

    data[f"{extra}-label"] = ""
    assert client.post(EDIT_URL, data).status_code == 302
    assert len(services.factors_of(services.active_model())) == 9


# --- the bands text, as a pure function ------------------------------------------------


def test_bands_text_round_trips_and_accepts_arrows_and_thousands():
    assert parse_bands("0 10\n\n100 → 30\n1,000 -> 55\n") == [
        (0, 10),
        (100, 30),
        (1000, 55),
    ]
    bands = parse_bands("-36500 70\n0 100\n2.5 80")
    assert bands_text(bands) == "-36500 70\n0 100\n2.5 80"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter at least one band"),
        ("ten 5", "Line 1: the value “ten” is not a number."),
        ("1.005 5", "Line 1: the value 1.005 has too many digits."),
        ("0 1.5", "Line 1: the points “1.5” are not a whole number from 0 to 100."),
        ("5 10\n5 20", "Line 2: the value 5 is not above 5 on line 1."),
    ],
)
def test_bad_bands_are_explained(text, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as raised:
        parse_bands(text)
    assert raised.value.messages[0].startswith(message)


# --- the admin shows the table but does not edit it ---------------------------------------


def test_the_admin_shows_versions_read_only_and_points_to_the_editor(personas, login):
    client = login(personas.admin)
    model = services.active_model()
    url = reverse("admin:scoring_scoringmodel_change", args=[model.pk])

    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert "read-only here" in html
    assert EDIT_URL in html
    assert client.post(url, {"note": "edited in place"}).status_code == 403
    assert client.get(reverse("admin:scoring_scoringmodel_add")).status_code == 403
    factor = model.factors.first()
    assert client.post(reverse("admin:scoring_factor_delete", args=[factor.pk])).status_code == 403
    model.refresh_from_db()
    assert model.note != "edited in place"


def test_saving_the_table_unchanged_makes_no_version(personas, login):
    """A note typed, nothing else: the same table again would be a version of its own and
    rescore every account for nothing. One change more (a weight) is a version."""
    from django.contrib.messages import get_messages

    client = login(personas.manager)
    page = client.get(EDIT_URL)
    data = edit_page_data(page)
    data["note"] = "Looked it over"

    unchanged = client.post(EDIT_URL, data)
    size = factor_prefix(page, "size_budget")
    data[f"{size}-weight"] = 16
    changed = client.post(EDIT_URL, data)

    assert unchanged.status_code == 302
    said = [str(m) for m in get_messages(unchanged.wsgi_request)]
    assert "Nothing in the table changed: version 1 stays active." in said
    assert changed.status_code == 302
    assert list(ScoringModel.objects.order_by("version").values_list("version", flat=True)) == [
        1,
        2,
    ]
