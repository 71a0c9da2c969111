from django.apps import AppConfig, apps
from django.db.models.signals import pre_delete
from django.utils.translation import gettext_lazy as _


class KeyaccountsConfig(AppConfig):
    name = "keyaccounts"
    verbose_name = _("Sync and history")

    def ready(self):
        from .models import VersionedModel, record_tombstone

        for model in apps.get_models():
            if issubclass(model, VersionedModel):
                pre_delete.connect(
                    record_tombstone, sender=model, dispatch_uid=f"tombstone:{model._meta.label}"
                )
