"""The managers' dashboard: its figures (`figures`: each a function of the accounts in view
and the day), its page (`views`) and its filters (`forms`). docs/dashboards.md."""
