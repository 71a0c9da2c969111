"""The recycle bin (回收站): deletes are soft, restorable, and purged only after
`RECYCLE_BIN_DAYS`.

A delete action is one `Deletion` row; every record it took along (an account's
contacts, visits, deals, development records) points at it, so a restore brings back
exactly that set. Each app's `<entity>_delete` / `<entity>_restore` service decides
what goes along and calls `services.soft_delete` / `services.restore`.
"""
