"""Next best action (下一步最佳行动): what would move an account most, and why.

`actions.py` is the rule, a pure function over an account's inputs and the active risk
table (no database); `selectors.py` reads what it needs for one account; `sections.py`
puts it on the account page. docs/scoring.md explains the actions and their effects.
"""
