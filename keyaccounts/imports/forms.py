"""The import pages' forms: the file, and the column mapping."""

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .reading import MAX_FILE_BYTES, MAX_ROWS


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,.csv,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "An Excel workbook (.xlsx; the first visible sheet is read) or a CSV file "
            "(UTF-8 or GB18030). At most %(size)s and %(rows)s rows."
        ) % {"size": filesizeformat(MAX_FILE_BYTES), "rows": f"{MAX_ROWS:,}"}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; at most %(limit)s can be imported at once. Split it.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_FILE_BYTES)}
            )
        return upload


def column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


class MappingForm(forms.Form):
    """One choice per column of the file: the field it fills, or none."""

    confirm_duplicates = forms.BooleanField(
        label=gettext_lazy("Import possible duplicates anyway"),
        help_text=gettext_lazy(
            "A row that looks like an existing record (a similar name) then makes a new "
            "record. Leave it unticked to see such rows in the preview first."
        ),
        required=False,
    )

    def __init__(self, *args, kind, headers: list[str], mapping: list, samples: list, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— Not imported —"))] + [
            (column.key, column.title + (" *" if column.required else ""))
            for column in kind.columns()
        ]
        self.columns = []
        # A column left unmapped whose header names a field another column fills (two
        # "Name" columns: the first is recognised): a word says which column has it.
        filled_by = {key: index for index, key in enumerate(mapping) if key}
        index_of_headers = kind.header_index()
        for index, header in enumerate(headers):
            name = f"column_{index}"
            letter = column_letter(index)
            same_as = _filled_elsewhere(index_of_headers, header, index, mapping, filled_by)
            self.fields[name] = forms.ChoiceField(
                label=header or _("Column %(letter)s") % {"letter": letter},
                choices=choices,
                required=False,
                initial=mapping[index] if index < len(mapping) else "",
            )
            if same_as:
                self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}_same"
            self.columns.append(
                {
                    "field": self[name],
                    "letter": letter,
                    "samples": samples[index] if index < len(samples) else [],
                    "recognised": bool(index < len(mapping) and mapping[index]),
                    "same_as": same_as,
                }
            )
        # The option last: after the columns, where it is read.
        self.fields["confirm_duplicates"] = self.fields.pop("confirm_duplicates")

    def mapping(self) -> list:
        return [
            self.cleaned_data.get(f"column_{index}") or None for index in range(len(self.columns))
        ]


def _filled_elsewhere(headers, header: str, index: int, mapping: list, filled_by: dict) -> str:
    """The letter of the column that fills the field `header` names, when this column
    (`index`) fills none ("": none, or this one fills a field)."""
    if index < len(mapping) and mapping[index]:
        return ""
    key = headers.key_for(header)
    if key is None or key not in filled_by or filled_by[key] == index:
        return ""
    return column_letter(filled_by[key])
