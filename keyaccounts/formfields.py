"""Form fields shared by the apps' forms."""

from django import forms
from django.core.exceptions import ValidationError

from keyaccounts.api.filters import MAX_ID


class RecordsField(forms.ModelMultipleChoiceField):
    """Records of `queryset` chosen by id (checkboxes, a multiple select). A number no
    id column holds (past 64 bits, zero or below) is refused as a choice not offered:
    Django's field would look it up, and SQLite cannot take a number that large."""

    def _check_values(self, value):
        if self.to_field_name is None and isinstance(value, list | tuple):
            for pk in value:
                text = str(pk).strip()
                digits = text[1:] if text.startswith("-") else text
                if text.isascii() and digits.isdigit() and not 1 <= int(text) <= MAX_ID:
                    raise ValidationError(
                        self.error_messages["invalid_choice"],
                        code="invalid_choice",
                        params={"value": pk},
                    )
        return super()._check_values(value)
