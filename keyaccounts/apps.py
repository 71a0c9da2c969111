from django.apps import AppConfig, apps
from django.db.models.signals import pre_delete, pre_save
from django.utils.translation import gettext_lazy as _


class KeyaccountsConfig(AppConfig):
    name = "keyaccounts"
    verbose_name = _("Sync and history")

    def ready(self):
        from . import admin_input, days, formfields, health, sessions, text
        from .api import options as api_options
        from .exports import tasks as export_tasks  # noqa: F401 - registered for its name
        from .history.bulk import baseline_before_first_change
        from .imports import tasks as import_tasks  # noqa: F401 - registered for its name
        from .models import VersionedModel, record_tombstone

        health.connect()  # the periodic tasks record their last run (GET /healthz/)
        text.install()  # no control characters in any text input (keyaccounts/text.py)
        days.install()  # every day given within 1900-01-01 … 9998-12-31 (keyaccounts/days.py)
        admin_input.install()  # odd input in the admin: its messages, never a 500
        api_options.install()  # no OPTIONS in the API's Allow headers: it answers 405
        formfields.install()  # a multiple choice refuses an id no key column holds
        sessions.connect()  # a sign-in stamps its session's last expiry push
        # The export types of accounts and of the recycle bin (the apps above add theirs).
        from .exports import registry as exports

        exports.register_own()

        for model in apps.get_models():
            if issubclass(model, VersionedModel):
                pre_delete.connect(
                    record_tombstone, sender=model, dispatch_uid=f"tombstone:{model._meta.label}"
                )
            elif hasattr(model, "history") and not model.__name__.startswith("Historical"):
                # A tracked part (a team member, a competitor…): VersionedModel.save does
                # this for records; a part's first change needs it as much.
                pre_save.connect(
                    baseline_before_first_change,
                    sender=model,
                    dispatch_uid=f"history-baseline:{model._meta.label}",
                )
