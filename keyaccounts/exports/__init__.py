"""Lists out to CSV and XLSX: every list page's rows, the dashboard's tables.

`columns` declares each record type's columns (the imports read the same), `registry`
the types and the rows their list pages show, `writers` the formats, `files` puts them
together for `views` and `manage.py export_records`; `dashboard` is the dashboard's
workbook. docs/architecture.md, "Exports", says why it is built this way.
"""
