"""Win/loss and pipeline analytics: the deals decided in a period, their win rates and
lost reasons by industry, by competitor and by the account's grade when the deal was
decided, the cycle time, and each stage's conversion and time spent there (from the
stage history). docs/dashboards.md, "Win/loss analytics"."""
