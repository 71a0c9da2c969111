"""The form renderer (`FORM_RENDERER`): Django's, with its `<select>` written in Python.

Django renders a select through three templates: the select, then for every option its
own template and the attributes' template. A list's filter form (the account list's:
eleven selects, 87 options) spent 11 ms of a 70 ms page in them, on every list page and
every form with a choice. `Renderer` writes the same markup for Django's own select and
option templates (Select, SelectMultiple, NullBooleanSelect and every ChoiceField's
default widget) and leaves every other template, and a select with an option template
of its own, to Django's renderer. `keyaccounts/tests/test_formrender.py` holds it to
Django's templates: the same output for the project's forms and filters and for odd
values (groups, several chosen, attributes true and false, text to escape).
"""

from django.forms.renderers import DjangoTemplates
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _text(value) -> str:
    """`{{ value|stringformat:"s" }}`, escaped unless it is a safe string (the filter is
    `is_safe`: it keeps the mark, and f-strings keep it too)."""
    return conditional_escape(f"{value}")


def _attrs(attrs: dict) -> str:
    """attrs.html: ` name="value"`, a name alone for True, nothing for False."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(" " + conditional_escape(name))
        if value is not True:
            out.append('="' + _text(value) + '"')
    return "".join(out)


def _select(widget: dict, context: Context) -> str | None:
    out = ['<select name="', render_value_in_context(widget["name"], context), '"']
    out.append(_attrs(widget["attrs"]))
    out.append(">")
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out += ['\n  <optgroup label="', render_value_in_context(group_name, context), '">']
        for option in group_choices:
            if option.get("template_name") != OPTION:
                return None  # an option template of a widget's own: Django's to render
            out += [
                '\n  <option value="',
                _text(option["value"]),
                '"',
                _attrs(option["attrs"]),
                ">",
                render_value_in_context(option["label"], context),
                "</option>\n",  # the option template's last line ends
            ]
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


class Renderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name == SELECT:
            html = _select(context["widget"], Context(autoescape=True))
            if html is not None:
                return mark_safe(html.strip())  # as Django's renderer strips its output
        return super().render(template_name, context, request=request)
