from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "visits.reviews"
    label = "reviews"
    verbose_name = _("Review meetings with the customer")

    def ready(self):
        from keyaccounts import sections as page_sections
        from visits.models import NotificationKind
        from visits.reminders import register_kind, register_scan

        from . import imports, reminders, sections

        imports.register()  # the `reviews` and `review_follow_ups` import types
        from . import exports

        exports.register()  # their export types
        from . import list_filters

        list_filters.register()  # the account list's gap "no review in its period"
        register_scan(reminders.review_due_scan)
        register_scan(reminders.follow_up_overdue_scan)
        register_kind(
            NotificationKind.REVIEW_FOLLOW_UP_OVERDUE,
            text=reminders.follow_up_overdue_text,
            path=reminders.follow_up_overdue_path,
        )
        register_kind(
            NotificationKind.REVIEW_DUE,
            text=reminders.review_due_text,
            path=reminders.review_due_path,
        )
        page_sections.register(
            "account",
            template="reviews/includes/account_section.html",
            context=sections.account_section,
            order=50,
        )
        page_sections.register(
            "my_week",
            template="reviews/includes/my_week_section.html",
            context=sections.my_week_section,
            order=50,
        )
        page_sections.register(
            "dashboard",
            template="reviews/includes/dashboard_section.html",
            context=sections.dashboard_section,
            order=50,
        )
        # What a merge of two accounts (or contacts) carries over (accounts/merge_hooks.py).
        from . import merging

        merging.register()
        # The API's record types (keyaccounts/api/records.py).
        from keyaccounts.api import records

        from .api.views import ReviewFollowUpViewSet, ReviewViewSet

        records.register("reviews", ReviewViewSet, basename="review", order=50)
        records.register(
            "review-follow-ups", ReviewFollowUpViewSet, basename="review-follow-up", order=60
        )
        # The recycle bin's restores (keyaccounts/recyclebin/restores.py).
        from keyaccounts.recyclebin import restores

        from .models import ReviewFollowUp, ReviewMeeting
        from .services import follow_up_restore, review_restore

        restores.register(ReviewMeeting, lambda record, by: review_restore(review=record, by=by))
        restores.register(
            ReviewFollowUp, lambda record, by: follow_up_restore(follow_up=record, by=by)
        )
