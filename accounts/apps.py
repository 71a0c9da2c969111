from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Customer accounts")

    def ready(self):
        # The access table's receivers: every save of a row the visibility rule reads.
        # Group customers: the account page's and the dashboard's group sections, and
        # letting subsidiaries go before the recycle bin purges their parent.
        from . import access, group_views  # noqa: F401

        group_views.register()
        # The import types of accounts, contacts and team members (keyaccounts/imports/).
        from . import imports

        imports.register_kinds()
