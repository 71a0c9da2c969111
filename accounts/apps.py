from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Customer accounts")

    def ready(self):
        # The access table's receivers: every save of a row the visibility rule reads.
        from . import access  # noqa: F401
