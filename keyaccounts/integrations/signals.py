"""What the integrations announce, for the apps above them to act on."""

from django.dispatch import Signal

# A day of failures disabled a webhook (`delivery.disable_if_failing`), and its owner still
# sees the account of the change that waited longest. Sent with `webhook`, `account_id`
# and `now`, inside the disabling's transaction; the reminders put it on the owner's bell
# (visits/webhook_notices.py).
webhook_disabled = Signal()
