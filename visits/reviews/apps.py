from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "visits.reviews"
    label = "reviews"
    verbose_name = _("Review meetings with the customer")

    def ready(self):
        # Register reminder scans/kinds (visits.reminders) and page sections
        # (keyaccounts.sections) here.
        pass
