"""Page snapshots: a page's figures as computed for one person, kept a few minutes.

Some pages add up the whole of what a person can see — the dashboard of a manager over
thousands of accounts, or of the whole company over every account, deal and visit.
Computing them takes a time that grows with the company (docs/benchmarks.md); their
readers look at them many times an hour. As Salesforce's and HubSpot's dashboards do, the
page shows the figures as of a moment it names ("as of 10:32"), computed at most
`SNAPSHOT_SECONDS` before, with a link that computes them again now. See `services` for
the rules that keep a snapshot honest: it is only ever shown to the person it was
computed for, with the same filters, language, time zone and day; it is dropped when
that person saved something since, or when what they may see changed.
"""
