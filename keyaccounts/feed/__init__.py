"""The changes feed follows what each caller can see (docs/architecture.md, "The
changes feed follows the access table").

- `models`: the access log (`AccessChange`), what left a user's view (`FeedExit`), the
  feed's state (`FeedState`: the installation's epoch and the retention horizon) and the
  nightly checkpoints that map days to change numbers;
- `hooks`: the write side, one function per event, called inside the write's
  transaction: access granted or revoked, a user's view reset, records deleted, records
  moved to another account;
- `reader`: cursors and one page of a type's feed for one user;
- `retention`: the nightly purge after `FEED_RETENTION_DAYS`.
"""
