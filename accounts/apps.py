from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Customer accounts")

    def ready(self):
        # The access table's receivers: every save of a row the visibility rule reads.
        # Group customers: the account page's and the dashboard's group sections, and
        # letting subsidiaries go before the recycle bin purges their parent. The kept
        # filter options, dropped when accounts are purged.
        from . import access, group_views, options  # noqa: F401

        group_views.register()
        # The import types of accounts, contacts and team members (keyaccounts/imports/).
        from . import imports

        imports.register_kinds()
        # The API's record types (keyaccounts/api/records.py).
        from keyaccounts.api import records

        from .api.views import AccountViewSet, ContactViewSet
        from .policy.api import ServicePolicyViewSet

        records.register("accounts", AccountViewSet, basename="account", order=10)
        records.register("contacts", ContactViewSet, basename="contact", order=20)
        records.register(
            "service-policy", ServicePolicyViewSet, basename="service-policy", order=130
        )
        # The recycle bin's restores (keyaccounts/recyclebin/restores.py).
        from keyaccounts.recyclebin import restores

        from .merge_views import restored_twins
        from .models import Account, Contact
        from .services import account_restore, contact_restore

        restores.register(
            Account,
            lambda record, by: account_restore(account=record, by=by),
            twins=restored_twins,
        )
        restores.register(
            Contact,
            lambda record, by: contact_restore(contact=record, by=by),
            twins=restored_twins,
        )
