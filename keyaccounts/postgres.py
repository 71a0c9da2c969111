"""The planner settings every PostgreSQL session of the project starts with
(`keyaccounts.settings`, the replica's too, and the benchmark's floors), as libpq
`options`. An `options` given in DATABASE_URL replaces them.

- `jit=off`: the pages run short queries whose row estimates the visibility rule once
  inflated; PostgreSQL's JIT then spent seconds compiling them (docs/benchmarks.md: the
  dashboard at 100,000 accounts, 8.4 s with JIT, 3.5 s without).
- `random_page_cost=1.1`: PostgreSQL's default (4) prices reading a page out of order
  at four sequential reads, as on a spinning disk; the project's tables and indexes
  are read from memory or SSD, where the two cost about the same (the PostgreSQL
  manual's advice for data mostly in cache; 1.1 is the value managed services such as
  Amazon RDS and Azure use for SSD). With 4, the planner answered "the accounts a
  manager sees" (2,200 access rows) by scanning the index of all 100,000 live accounts
  and hashing it (49 ms), not by probing 2,200 of them (9 ms), in every query that
  filters by that visibility: a changes page of deals 81 → 24 ms in SQL, the heat-map's
  rows 86 → 38 ms (docs/benchmarks.md, "2026-12-02, night").
- `parallel_setup_cost=5000`: what PostgreSQL counts for starting parallel workers
  (default 1000, about one millisecond of work here) is five times its default. Starting
  two workers took about 7 ms on the 2-core benchmark machine, more than most of the
  pages' queries gain from them, and they take the cores the other requests need: a
  manager's planned visits in my week ran in 15 ms with two workers, 9 ms without. Scans
  of the whole company (the admin's board and dashboard) still get them
  (docs/benchmarks.md, "2026-12-03, morning").
"""

SESSION_OPTIONS = "-c jit=off -c random_page_cost=1.1 -c parallel_setup_cost=5000"
