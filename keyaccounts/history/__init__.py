"""Change history (变更记录): who changed what, when, from where, old → new.

The values are recorded by django-simple-history (a historical table per tracked model,
filled on every save and delete, and by `bulk_*_with_history` for set-based writes);
the meaning — who acted and from where (`Origin`) — comes from `context`, set once per
request by `HistoryMiddleware` and by commands and tasks with `history_context`.
`timeline` turns the rows into what a person reads.
"""
