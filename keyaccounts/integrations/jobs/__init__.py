"""Asynchronous bulk jobs: `POST /api/v1/jobs/` with a JSON-lines body or file, run on
Celery (inline without Redis) a chunk at a time through the bulk upsert of the record
type (keyaccounts/api/bulk.py: for accounts, contacts, visits and deals set-based
through the spreadsheet import's check and write when that gives the same results,
keyaccounts/api/setbased.py). docs/api.md, "Bulk jobs"."""
