"""`{% form_field %}`: how every form of the project draws a field (accounts/templatetags/ui.py)."""

import re

from django import forms
from django.template import engines
from django.utils import translation

from keyaccounts.history.merge import MergingBoundField

DRAW = engines["django"].from_string("{% load ui %}{% form_field field %}")


def draw(field) -> str:
    return DRAW.render({"field": field})


class Visit(forms.Form):
    summary = forms.CharField(label="Summary", help_text="What was agreed.")
    minutes = forms.IntegerField(label="Minutes", required=False)
    coach = forms.BooleanField(label="Coach", required=False)


def test_a_field_has_its_label_for_its_box_then_the_box_and_its_help():
    html = draw(Visit()["summary"])
    assert html.startswith('<div class="field required">')
    label = html.index('<label for="id_summary">Summary</label>')
    box = html.index('<input type="text" name="summary"')
    help_text = html.index('<small class="help" id="id_summary_helptext">What was agreed.</small>')
    assert label < box < help_text
    assert 'class="error"' not in html


def test_an_optional_field_is_not_marked_required():
    assert draw(Visit()["minutes"]).startswith('<div class="field">')


def test_a_checkbox_comes_before_its_label():
    html = draw(Visit()["coach"])
    assert html.startswith('<div class="field checkbox">')
    assert html.index('<input type="checkbox" name="coach"') < html.index(
        '<label for="id_coach">Coach</label>'
    )


def test_each_error_is_said_with_the_id_the_box_points_to():
    form = Visit(data={"summary": "", "minutes": "many"})
    html = draw(form["minutes"])
    assert html.startswith('<div class="field has-error">')
    assert 'aria-describedby="id_minutes_error"' in html
    assert re.search(r'<p class="error" id="id_minutes_error">Enter a whole number\.</p>', html)


def test_the_links_of_an_error_follow_its_last_message_only():
    class Plan(forms.Form):
        period = forms.CharField(label="Period")

        def clean_period(self):
            self.error_links = {"period": [("Open the plan for 2026", "/plans/7/?a=1&b=2")]}
            raise forms.ValidationError(["Taken.", "Pick another."])

    form = Plan(data={"period": "2026"})
    form.is_valid()
    html = draw(form["period"])
    first, last = re.findall(r'<p class="error" id="id_period_error">(.*?)</p>', html)
    assert first == "Taken."
    assert last == 'Pick another. <a href="/plans/7/?a=1&amp;b=2">Open the plan for 2026</a>'


def test_labels_help_and_errors_are_escaped():
    class Odd(forms.Form):
        name = forms.CharField(label="<b>Name</b>", help_text="Use <i>no</i> tags")

        def clean_name(self):
            raise forms.ValidationError("<script>x</script> is refused")

    form = Odd(data={"name": "a"})
    form.is_valid()
    html = draw(form["name"])
    assert "<b>" not in html and "<i>" not in html and "<script>" not in html
    assert "&lt;b&gt;Name&lt;/b&gt;</label>" in html
    assert "Use &lt;i&gt;no&lt;/i&gt; tags</small>" in html
    assert "&lt;script&gt;x&lt;/script&gt; is refused</p>" in html


class Merging(forms.Form):
    bound_field_class = MergingBoundField
    name = forms.CharField(label="Name")


def test_what_someone_else_saved_meanwhile_is_said_in_the_users_language():
    form = Merging(data={"name": "Acme"})
    form.their_values = {"name": "Acme <Holdings>"}
    html = draw(form["name"])
    assert (
        '<small class="theirs" id="id_name_theirs">'
        "Saved meanwhile by someone else: Acme &lt;Holdings&gt;</small>"
    ) in html
    with translation.override("zh-hans"):
        html = draw(form["name"])
    assert "在此期间他人已保存为：Acme &lt;Holdings&gt;</small>" in html


def test_a_field_the_form_does_not_have_draws_nothing():
    assert DRAW.render({}) == ""
