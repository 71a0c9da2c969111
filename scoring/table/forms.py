"""Forms of the risk-evaluation table editor and the monthly sales pages.

The editor is one page: `TableForm` (thresholds, the grade grid, what changed and the
version the editor started from) and `FactorFormSet` (one form per factor, an empty one
to add a factor, a delete box on each). `table_spec` turns both into the arguments of
`services.scoring_model_new_version`.
"""

import re
from decimal import Decimal, InvalidOperation

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from keyaccounts.amounts import AMOUNT_MAX
from keyaccounts.api.filters import IdFilter
from keyaccounts.listfilters import SEARCH_MAX_LENGTH, date_range_form

from ..models import Band, Closing, Factor, Grade, MonthlySales, Source, Strength

MAX_POINTS = 100
# Band.min_value: two decimal places, below ten trillion (keyaccounts.amounts).
BAND_PLACES = Band._meta.get_field("min_value").decimal_places
BAND_LIMIT = AMOUNT_MAX + Decimal("0.01")
KEY_LENGTH = Factor._meta.get_field("key").max_length

BANDS_HELP = _("One band a line: the value it starts from, a space, its points (0–100).")


def number_text(value) -> str:
    """A band value as typed: no exponent, no trailing zeros ("100", "2.5", "-36500")."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def bands_text(bands) -> str:
    """[(from value, points), ...] as the editor's text, one "value points" pair a line."""
    return "\n".join(f"{number_text(low)} {points}" for low, points in bands)


def parse_bands(text: str) -> list[tuple[Decimal, int]]:
    """The editor's bands text as [(from value, points)], or a ValidationError naming each
    bad line: which line, what is wrong and what is expected.

    A line is "value points"; "value → points" (as the table page shows it) is read too.
    Blank lines are skipped. Values must ascend and differ; points are whole, 0 to 100.
    """
    bands: list[tuple[Decimal, int]] = []
    errors: list[ValidationError] = []
    previous: tuple[int, Decimal] | None = None  # (line number, value)
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.replace("→", " ").replace("->", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            errors.append(
                ValidationError(
                    _(
                        "Line %(line)s: expected two numbers, the value the band starts from "
                        "and its points (e.g. “100 30”), but found “%(text)s”."
                    ),
                    params={"line": number, "text": line.strip()},
                )
            )
            continue
        value_text, points_text = parts
        try:
            value = Decimal(value_text.replace(",", ""))
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors.append(
                ValidationError(
                    _(
                        "Line %(line)s: the value “%(value)s” is not a number. Expected a "
                        "number such as 100, 2.5 or -30, then the points."
                    ),
                    params={"line": number, "value": value_text},
                )
            )
            continue
        if abs(value) >= BAND_LIMIT or value != value.quantize(Decimal(1).scaleb(-BAND_PLACES)):
            errors.append(
                ValidationError(
                    _(
                        "Line %(line)s: the value %(value)s has too many digits. Expected at "
                        "most %(places)s decimal places and less than %(limit)s."
                    ),
                    params={
                        "line": number,
                        "value": value_text,
                        "places": BAND_PLACES,
                        "limit": f"{BAND_LIMIT:,}",
                    },
                )
            )
            continue
        if previous is not None and value <= previous[1]:
            errors.append(
                ValidationError(
                    _(
                        "Line %(line)s: the value %(value)s is not above %(previous)s on line "
                        "%(previous_line)s. Expected the values in ascending order, each once."
                    ),
                    params={
                        "line": number,
                        "value": number_text(value),
                        "previous": number_text(previous[1]),
                        "previous_line": previous[0],
                    },
                )
            )
            continue
        previous = (number, value)
        if not re.fullmatch(r"\d+", points_text) or int(points_text) > MAX_POINTS:
            errors.append(
                ValidationError(
                    _(
                        "Line %(line)s: the points “%(points)s” are not a whole number from 0 "
                        "to 100. Expected the value, a space, then whole points, e.g. “100 30”."
                    ),
                    params={"line": number, "points": points_text},
                )
            )
            continue
        bands.append((value, int(points_text)))
    if errors:
        raise ValidationError(errors)
    if not bands:
        raise ValidationError(
            _("Enter at least one band, e.g. “0 10” on one line and “100 30” on the next.")
        )
    return bands


# --- the table editor ----------------------------------------------------------------


def grid_field_name(closing: str, strength: str) -> str:
    return f"grid_{closing}_{strength}"


class TableForm(forms.Form):
    """Everything on the editor except the factors."""

    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    strong_min = forms.IntegerField(
        label=_("Strong from score"),
        min_value=0,
        max_value=100,
        help_text=_("A score at or above this is strong."),
    )
    fair_min = forms.IntegerField(
        label=_("Fair from score"),
        min_value=0,
        max_value=100,
        help_text=_("A score at or above this, and below strong, is fair; below it, weak."),
    )
    soon_days = forms.IntegerField(
        label=_("Closing soon within (days)"),
        min_value=1,
        max_value=3650,
        help_text=_("An open deal expected to close within this many days counts as soon."),
    )
    note = forms.CharField(
        label=_("What changed"),
        max_length=300,
        help_text=_("Kept with the version, so the next reader knows why. Required."),
        widget=forms.TextInput(attrs={"size": 60}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for closing, closing_label in Closing.choices:
            for strength, strength_label in Strength.choices:
                self.fields[grid_field_name(closing, strength)] = forms.ChoiceField(
                    label=f"{closing_label} × {strength_label}",
                    choices=Grade.choices,
                )

    def clean(self):
        data = super().clean()
        strong, fair = data.get("strong_min"), data.get("fair_min")
        if strong is not None and fair is not None and fair > strong:
            self.add_error("fair_min", _("“Fair from” must not be above “strong from”."))
        return data

    def grid_rows(self):
        """[(closing label, [bound select per strength])] in the page's row order."""
        return [
            (label, [self[grid_field_name(closing, strength)] for strength in Strength.values])
            for closing, label in Closing.choices
        ]

    def grid(self) -> dict:
        return {
            (closing, strength): self.cleaned_data[grid_field_name(closing, strength)]
            for closing in Closing.values
            for strength in Strength.values
        }

    @classmethod
    def initial_for(cls, model, grid: dict) -> dict:
        initial = {
            "base_version": model.version,
            "strong_min": model.strong_min,
            "fair_min": model.fair_min,
            "soon_days": model.soon_days,
        }
        for (closing, strength), grade in grid.items():
            initial[grid_field_name(closing, strength)] = grade
        return initial


class FactorForm(forms.Form):
    # Kept for an existing factor, so its key (and the history that names it) stays.
    key = forms.SlugField(widget=forms.HiddenInput, required=False, max_length=KEY_LENGTH)
    label = forms.CharField(label=_("English label"), max_length=100)
    label_zh = forms.CharField(label=_("Chinese label"), max_length=100, required=False)
    source = forms.ChoiceField(
        label=_("Source"),
        # A blank first choice: an untouched "add a factor" row stays empty.
        choices=[("", "—")] + Source.choices,
    )
    weight = forms.IntegerField(label=_("Weight"), min_value=0, max_value=1000)
    missing_points = forms.IntegerField(
        label=_("Points when unknown"),
        min_value=0,
        max_value=MAX_POINTS,
        initial=0,
    )
    guidance = forms.CharField(
        label=_("English guidance"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    guidance_zh = forms.CharField(
        label=_("Chinese guidance"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on Chinese pages; empty: the guidance above."),
    )
    bands = forms.CharField(
        label=_("Bands"),
        widget=forms.Textarea(attrs={"rows": 5, "class": "bands", "spellcheck": "false"}),
        help_text=BANDS_HELP,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Tall enough to show every band without scrolling.
        lines = (self["bands"].value() or "").count("\n") + 2
        self.fields["bands"].widget.attrs["rows"] = max(4, min(lines, 15))

    def clean_bands(self):
        return parse_bands(self.cleaned_data["bands"])

    @staticmethod
    def initial_for(factor: dict) -> dict:
        return {**factor, "bands": bands_text(factor["bands"])}


class BaseFactorFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.kept_forms():
            raise ValidationError(_("The table needs at least one factor."))

    def kept_forms(self) -> list[FactorForm]:
        """The filled-in forms not marked for deletion, in the page's order."""
        return [
            form
            for form in self.forms
            if form.has_changed() or form in self.initial_forms
            if not self._should_delete_form(form)
        ]

    def factors(self) -> list[dict]:
        """The kept factors as `scoring_model_new_version` takes them, with unique keys."""
        taken: set[str] = set()
        kept = self.kept_forms()
        # Existing keys first, so a new factor never takes a key an old one keeps.
        keys = {}
        for form in kept:
            key = form.cleaned_data.get("key") or ""
            if key and key not in taken:
                keys[form] = key
                taken.add(key)
        factors = []
        for form in kept:
            data = form.cleaned_data
            key = keys.get(form) or unique_key(data["label"], data["source"], taken)
            taken.add(key)
            factors.append(
                {
                    "key": key,
                    "label": data["label"].strip(),
                    "label_zh": data["label_zh"].strip(),
                    "source": data["source"],
                    "weight": data["weight"],
                    "missing_points": data["missing_points"],
                    "guidance": data["guidance"].strip(),
                    "guidance_zh": data["guidance_zh"].strip(),
                    "bands": data["bands"],
                }
            )
        return factors


def unique_key(label: str, source: str, taken: set[str]) -> str:
    """A slug of the label (of the source when the label has no Latin letters or digits),
    made unique among `taken` with -2, -3, …"""
    base = (slugify(label) or slugify(source) or "factor")[: KEY_LENGTH - 4].strip("-_")
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


FactorFormSet = forms.formset_factory(
    FactorForm, formset=BaseFactorFormSet, extra=1, can_delete=True, max_num=50
)


# --- monthly sales -----------------------------------------------------------------------

MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d", "%Y/%m"]
# A month box's own words (a date field's would ask for a day: YYYY-MM-DD).
MONTH_EXPECTED = _("Enter a month as YYYY-MM, for example 2027-03.")


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self):
        super().__init__(format="%Y-%m")


class MonthlySalesFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(max_length=SEARCH_MAX_LENGTH, label=_("Search"), method="search")
    month_from = django_filters.DateFilter(
        label=_("From month"),
        method="from_month",
        input_formats=MONTH_FORMATS,
        widget=MonthInput(),
        error_messages={"invalid": MONTH_EXPECTED},
    )
    month_to = django_filters.DateFilter(
        label=_("To month"),
        method="to_month",
        input_formats=MONTH_FORMATS,
        widget=MonthInput(),
        error_messages={"invalid": MONTH_EXPECTED},
    )

    # Group customers (集团客户): the months of this account and of all its subsidiaries,
    # as the group page links to them (accounts.groups).
    group = IdFilter(label=_("Group (account id)"), method="filter_group")

    class Meta:
        model = MonthlySales
        fields = ["q", "month_from", "month_to", "group"]
        form = date_range_form(
            "month_from",
            "month_to",
            _("The last month (%(end)s) is before the first (%(start)s)."),
            months=True,
        )

    def filter_group(self, queryset, name, value):
        from accounts.groups import group_members

        return queryset.filter(account__in=group_members(value))

    # Months are stored as their first day; a full date given means its month.
    def from_month(self, queryset, name, value):
        return queryset.filter(month__gte=value.replace(day=1))

    def to_month(self, queryset, name, value):
        return queryset.filter(month__lte=value.replace(day=1))

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(account__name__icontains=value) | Q(account__external_id__iexact=value)
        )
