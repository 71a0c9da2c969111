"""Imports of spreadsheets (XLSX, CSV): accounts, contacts, account teams, deals, visits,
monthly sales. `reading` reads a file safely, `columns` and `kinds` say what each record
type reads and how a row finds and writes its record, `engine` runs the rows (all or
none), `services` keeps the jobs of the browser's flow and the command, `files` writes
the templates and the rejected rows. docs/architecture.md, "Imports"."""
