"""The token and webhook forms. They collect input; the services check it and write."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .models import TokenAccess, Webhook
from .registry import record_type_choices

EXPIRY_CHOICES = [
    (30, _("In 30 days")),
    (90, _("In 90 days")),
    (180, _("In 180 days")),
    (365, _("In a year")),
]


class ServiceErrorsMixin:
    """Puts a service's ValidationError on the form's fields (`field_of` renames)."""

    field_of: dict[str, str] = {}

    def add_service_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            name = self.field_of.get(field, field)
            self.add_error(name if name in self.fields else None, messages)


class TokenForm(ServiceErrorsMixin, forms.Form):
    field_of = {"expires_at": "expires_in"}

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What will use it, such as “ERP sync”."),
    )
    access = forms.ChoiceField(
        label=_("Access"),
        choices=TokenAccess.choices,
        initial=TokenAccess.READ,
        widget=forms.RadioSelect,
    )
    record_types = forms.MultipleChoiceField(
        label=_("Record types it may use"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one record type.")},
    )
    expires_in = forms.TypedChoiceField(
        label=_("Expires"), choices=EXPIRY_CHOICES, coerce=int, initial=90
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["record_types"].choices = record_type_choices()

    def clean_name(self):
        # Said with the other fields' problems (the service checks it again).
        name = self.cleaned_data["name"]
        if problem := services.token_name_problem(user=self.user, name=name):
            raise forms.ValidationError(problem)
        return name


class WebhookForm(ServiceErrorsMixin, forms.ModelForm):
    record_types = forms.MultipleChoiceField(
        label=_("Record types to send"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one record type.")},
    )

    class Meta:
        model = Webhook
        fields = ["url", "description", "record_types"]
        labels = {"url": _("URL"), "description": _("Description")}
        help_texts = {
            "url": _(
                "http:// or https:// at a public address. Every change you can see to the "
                "record types below is POSTed there."
            ),
            "description": _("Optional: what receives them, such as “ERP staging”."),
        }
        widgets = {"url": forms.URLInput(attrs={"inputmode": "url", "autocomplete": "url"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record_types"].choices = record_type_choices()
        # The service checks the URL (scheme, address) and says what is wrong.
        self.fields["url"].validators = []

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            # Another field is to mend first, so the service would say these only on
            # the next send: said now, with it (a phone sends the form once).
            checks = (("url", services.check_webhook_url), ("secret", services.check_secret))
            for name, check in checks:
                value = cleaned.get(name)
                if name in self.fields and value and name not in self.errors:
                    try:
                        check(value)
                    except ValidationError as error:
                        self.add_service_errors(error)
        return cleaned

    def _post_clean(self):
        # No model validation here: the services validate and write.
        pass


class WebhookCreateForm(WebhookForm):
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        max_length=100,
        help_text=_(
            "Leave empty to get a random one, shown once after saving; or type your own "
            "(24 to 100 characters, no spaces)."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
