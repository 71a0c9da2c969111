"""The risk-evaluation table's pages: the active version and its history, a new version
and the monthly sales (`views`), with their forms (`forms`). docs/scoring.md."""
