"""What other apps hear when records move to or from the recycle bin.

The moves are set-based writes (`bulk_update_with_history`), which send no `post_save`:
an app that derives something from the records (scoring's inputs) listens here.
"""

from django.dispatch import Signal

# Sent inside the move's transaction, after it. Arguments: `deletion` (the Deletion),
# `deleted` (True: into the bin; False: restored) and `account_ids` (the accounts of
# every record that moved, each record's own for an account).
records_moved = Signal()

# Sent inside a purge's transaction just before the rows of `sender` (a model) with `ids`
# are removed for good: an app whose rows still point at them (a subsidiary at its parent
# company, PROTECT) lets go of them here.
before_purge = Signal()
